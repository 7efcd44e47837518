// The console's entry: the header (who is signed in, the language switch), and the router
// over the page's hash: #/ the list, #/new a new campaign, #/c/ID a campaign, #/c/ID/edit.
import { h, mount, $ } from './dom.js';
import { get } from './api.js';
import { t, language, setLanguage } from './i18n.js';
import { stop } from './live.js';
import { showList } from './list.js';
import { showCampaign } from './campaign.js';
import { showForm } from './form.js';

let who = null;

function header() {
  const langButton = (l, label) => h('button', {
    type: 'button',
    class: language() === l ? 'lang active' : 'lang',
    'aria-pressed': String(language() === l),
    lang: l,
    id: 'lang-' + l,
    onclick: () => {
      setLanguage(l);
      render();
    },
  }, label);
  mount($('#top'),
    h('a.brand', { href: '#/' }, h('img', { src: '/ui/icon.svg', alt: '', width: 28, height: 28 }), h('span', 'coupond')),
    h('nav', { 'aria-label': 'coupond' },
      h('a', { href: '#/' }, t('nav.campaigns')), h('a', { href: '#/new' }, t('nav.new'))),
    h('div.who#who', who ? t('nav.signed_in', { name: `${who.name} (${t('role.' + who.role)})` }) : ''),
    h('div.langs', { role: 'group', 'aria-label': t('lang.switch') }, langButton('de', 'DE'), langButton('en', 'EN')));
}

function route() {
  const hash = location.hash || '#/';
  let m;
  const main = $('#main');
  if ((m = /^#\/c\/(\d+)\/edit$/.exec(hash))) return showForm(main, Number(m[1]));
  if ((m = /^#\/c\/(\d+)$/.exec(hash))) return showCampaign(main, Number(m[1]));
  if (hash === '#/new') return showForm(main);
  return showList(main);
}

function render() {
  document.documentElement.lang = language();
  document.title = t('app.title');
  header();
  stop();
  route();
}

window.addEventListener('hashchange', () => {
  stop();
  route();
  window.scrollTo(0, 0);
});

get('/v1/whoami').then((w) => {
  who = w;
  header();
}).catch(() => {});
render();
