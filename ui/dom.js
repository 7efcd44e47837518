// Small DOM helpers for the console: elements are built with textContent only (never
// innerHTML), so nothing the API returns can become markup.
const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// h('tag.class#id', {attrs}, ...children): an HTML element.
export function h(spec, attrs, ...children) {
  const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/.exec(spec);
  if (!m) throw new Error('bad element spec ' + spec);
  const el = document.createElement(m[1]);
  for (const part of m[2].match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs instanceof Node || Array.isArray(attrs) || typeof attrs !== 'object' || attrs === null) {
    children.unshift(attrs);
    attrs = {};
  }
  return fill(el, attrs, children);
}

// s('tag', {attrs}, ...children): an SVG element.
export function s(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

// Replaces the children of EL with CHILDREN.
export function mount(el, ...children) {
  el.replaceChildren();
  fill(el, {}, children);
  return el;
}

export function $(sel, root = document) {
  return root.querySelector(sel);
}
