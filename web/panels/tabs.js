// ARIA tabs (WAI-ARIA Authoring Practices, automatic activation): the nav is a tablist, each button a tab that
// controls one section (role=tabpanel, aria-labelledby the tab). Only the selected tab is in the Tab order;
// Left/Right move between tabs (wrapping), Home/End jump to the first/last. A new playground is one more
// <button role="tab" data-tab="NAME"> plus <section id="tab-NAME" role="tabpanel">.
export function startTabs({ onSelect = () => {} } = {}) {
  const tabs = [...document.querySelectorAll('nav [role="tab"]')];

  function select(tab, { focus = false } = {}) {
    for (const t of tabs) {
      const selected = t === tab;
      t.setAttribute('aria-selected', String(selected));
      t.tabIndex = selected ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')).hidden = !selected;
    }
    if (focus) tab.focus();
    onSelect(tab.dataset.tab);
  }

  for (const tab of tabs) {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (event) => {
      const i = tabs.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      select(tabs[(next + tabs.length) % tabs.length], { focus: true });
    });
  }

  return {
    select(name) {
      const tab = tabs.find((t) => t.dataset.tab === name);
      if (tab) select(tab);
    },
    current: () => tabs.find((t) => t.getAttribute('aria-selected') === 'true')?.dataset.tab,
  };
}
