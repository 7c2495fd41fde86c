// Small DOM helpers shared by the panels.

// el('span', { class: 'x', text: 'hi', title: '...' }, ...children)
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// Fills a <dl> with [label, value] pairs.
export function setStats(dl, pairs) {
  dl.replaceChildren(...pairs.flatMap(([label, value]) => [el('dt', { text: label }), el('dd', { text: String(value) })]));
}

export function formatMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

// Loads a model into the worker, showing progress in `line`; resolves with the model's info.
export async function loadModel(atnat, name, line) {
  line.textContent = `Loading ${name}…`;
  const info = await atnat.load(name, `models/${name}/model.safetensors`, {
    onProgress: (loaded, total) => {
      line.textContent = `Loading ${name}: ${(loaded / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ''} MB`;
    },
  });
  line.textContent = `${name}: ${(info.parameters / 1e6).toFixed(2)}M parameters, ${(info.bytes / 1e6).toFixed(1)} MB`;
  return info;
}
