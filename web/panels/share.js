// Settings and prompt in the URL: every control with data-param="NAME" is written to ?NAME=value when it differs
// from the page's default, and restored from the URL on load, so a link reproduces the request. Values from a
// URL are checked like typed ones: a select takes only one of its options, a number only a value in its range,
// text at most 500 characters (checked again on Generate). ?tab= names the open tab; ?lang= is read (for a link that forces a language) but
// dropped as soon as the visitor switches language.
export class UrlState {
  constructor() {
    this.pending = new URLSearchParams(location.search); // read but not yet bound (e.g. options not there yet)
    this.fields = new Map(); // param -> { element, initial }
    this.tab = this.pending.get('tab');
    this.pending.delete('tab');
    this.tabValue = null;
  }

  // Binds every [data-param] under root; values the URL gives are applied now (or when apply() is called
  // again, for a select whose options arrive later).
  bindAll(root = document) {
    for (const element of root.querySelectorAll('[data-param]')) this.bind(element);
  }

  bind(element) {
    const param = element.dataset.param;
    if (!this.fields.has(param)) {
      this.fields.set(param, { element, initial: element.value });
      const write = () => this.write();
      element.addEventListener('change', write);
      element.addEventListener('input', write);
    }
    this.apply(element);
  }

  // Applies the URL's value for element if it is acceptable; keeps it pending otherwise.
  apply(element) {
    const param = element.dataset.param;
    if (!this.pending.has(param)) return;
    const field = this.fields.get(param);
    if (element.tagName === 'SELECT' && !element.options.length) return; // options not filled in yet
    if (element.tagName === 'SELECT' && field.initial === '') field.initial = element.value;
    const value = accepted(element, this.pending.get(param));
    this.pending.delete(param);
    if (value !== null) element.value = value;
  }

  // A select filled in later: its current value becomes its default, then the URL's value is applied.
  optionsReady(element) {
    const field = this.fields.get(element.dataset.param);
    if (field) field.initial = element.value;
    this.apply(element);
  }

  setTab(name) {
    this.tabValue = name === 'text' ? null : name;
    this.write();
  }

  dropLanguage() {
    this.pending.delete('lang');
    this.write();
  }

  write() {
    const params = new URLSearchParams();
    if (this.tabValue) params.set('tab', this.tabValue);
    for (const [param, { element, initial }] of this.fields) {
      if (element.value !== initial) params.set(param, element.value);
    }
    for (const [param, value] of this.pending) if (!params.has(param)) params.set(param, value);
    const query = params.toString();
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  }
}

// The value to set, or null when the URL's value is not one the control accepts.
export function accepted(element, value) {
  if (element.tagName === 'SELECT') {
    return [...element.options].some((o) => o.value === value && !o.disabled) ? value : null;
  }
  if (element.type === 'number') {
    const x = Number(value);
    const min = element.min === '' ? -Infinity : Number(element.min);
    const max = element.max === '' ? Infinity : Number(element.max);
    if (value.trim() === '' || !Number.isFinite(x) || x < min || x > max) return null;
    if (element.step === '1' && !Number.isInteger(x)) return null;
    return String(x);
  }
  // Text is not cut to the input's maxlength here (it depends on the form, which may be restored later): the
  // page checks the length on Generate and says what is too long.
  return [...value].slice(0, 500).join('');
}
