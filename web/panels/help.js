// Explanations in place: an ⓘ button ("toggletip") next to a control or a metric opens one shared bubble with
// the catalogue's text "help.KEY". It is a real <button>, so mouse, touch and keyboard (Tab, Enter, Space) all
// reach it; Escape or a click elsewhere closes the bubble. The bubble is a status region, so screen readers read
// the text when it opens.
import { t } from '../i18n/index.js';

let bubble = null;
let openButton = null;

// The ⓘ button for help key `key`, named after the thing it explains (`nameKey`: a catalogue key, or a node
// whose text is the name).
export function helpButton(key, nameOf) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'info';
  button.dataset.helpKey = key;
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'help-bubble');
  button.nameOf = nameOf;
  label(button);
  button.addEventListener('click', (event) => {
    event.preventDefault();
    event.stopPropagation();
    if (openButton === button) close();
    else open(button);
  });
  return button;
}

function label(button) {
  const name = typeof button.nameOf === 'function' ? button.nameOf() : '';
  button.setAttribute('aria-label', t('help.about', { name: name.trim() }));
}

function open(button) {
  close();
  openButton = button;
  button.setAttribute('aria-expanded', 'true');
  bubble.textContent = t(`help.${button.dataset.helpKey}`);
  bubble.dataset.for = button.dataset.helpKey;
  bubble.hidden = false;
  place();
}

export function close() {
  if (!openButton) return;
  openButton.setAttribute('aria-expanded', 'false');
  openButton = null;
  bubble.hidden = true;
  bubble.textContent = '';
}

// Below the button, kept inside the viewport's width (no horizontal overflow on a phone).
function place() {
  const rect = openButton.getBoundingClientRect();
  const width = Math.min(320, document.documentElement.clientWidth - 16);
  bubble.style.width = `${width}px`;
  const left = Math.max(
    8,
    Math.min(rect.left + window.scrollX - 12, window.scrollX + document.documentElement.clientWidth - width - 8),
  );
  bubble.style.left = `${left}px`;
  bubble.style.top = `${rect.bottom + window.scrollY + 6}px`;
}

// Adds the ⓘ buttons to every .field[data-help] under root (after its label) and wires the bubble once.
export function addHelp(root = document) {
  bubble ??= document.getElementById('help-bubble');
  for (const field of root.querySelectorAll('.field[data-help]')) {
    if (field.querySelector(':scope > .info')) continue;
    const labelNode = field.querySelector('label');
    const button = helpButton(field.dataset.help, () => labelNode.textContent);
    labelNode.after(button);
  }
}

// Called when the language changes: re-names the buttons and closes the bubble (the panels may redraw the
// button it belongs to).
export function relabelHelp() {
  close();
  for (const button of document.querySelectorAll('button.info')) label(button);
}

export function startHelp() {
  bubble ??= document.getElementById('help-bubble');
  document.addEventListener('click', (event) => {
    if (openButton && !bubble.contains(event.target)) close();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && openButton) {
      const button = openButton;
      close();
      button.focus();
    }
  });
  window.addEventListener('resize', () => {
    if (openButton) place();
  });
  document.addEventListener('atnat:language', relabelHelp);
  addHelp(document);
}
