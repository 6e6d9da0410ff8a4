// Renders the hiring detail from the DetailModel the extension posts. Text is
// only ever set with textContent, so nothing a client writes becomes HTML.
(function () {
  const vscode = acquireVsCodeApi();
  const app = document.getElementById('app');
  let draft = '';

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = String(v);
      else if (k === 'onclick') node.addEventListener('click', v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children || []) if (c) node.appendChild(c);
    return node;
  }

  const FACTS = [
    ['Price', 'price'],
    ['Mode', 'mode'],
    ['Deadline', 'deadline'],
    ['State', 'phase'],
    ['Platform status', 'status'],
    ['Capability', 'capability'],
    ['Agent', 'agent'],
    ['Claimed by', 'claimedBy'],
    ['Repository', 'repoUrl'],
    ['Branch', 'branch'],
    ['Workspace', 'workspaceDir'],
    ['Failure', 'failedReason'],
    ['Hiring id', 'id'],
  ];

  function fact(label, value) {
    if (value === undefined || value === null || value === '') return null;
    return el('div', { class: 'fact' }, [el('dt', { text: label }), el('dd', { text: value })]);
  }

  function section(title, id, children) {
    return el('section', { 'aria-labelledby': id }, [el('h2', { id, text: title }), ...children]);
  }

  function render(m) {
    const actions = el(
      'div',
      { class: 'actions', role: 'toolbar', 'aria-label': 'Actions' },
      m.actions.map((a) =>
        el('button', {
          class: a.primary ? 'primary' : 'secondary',
          'data-command': a.command,
          text: a.label,
          onclick: () => vscode.postMessage({ type: 'command', command: a.command }),
        }),
      ),
    );

    const facts = el(
      'dl',
      { class: 'facts' },
      FACTS.map(([label, key]) => fact(label, m[key])),
    );

    const conversation = m.conversation.length
      ? el(
          'ol',
          { class: 'conversation' },
          m.conversation.map((c) =>
            el('li', { class: `msg from-${c.from}` }, [
              el('div', {
                class: 'meta',
                text: `${c.who}${c.kind ? ` · ${c.kind}` : ''}${c.when ? ` · ${c.when}` : ''}`,
              }),
              el('div', { class: 'body', text: c.content }),
            ]),
          ),
        )
      : el('p', { class: 'muted', text: 'No messages yet.' });

    const box = el('textarea', {
      id: 'message',
      rows: 3,
      'aria-label': 'Message to the client',
      placeholder: 'Write to the client…',
    });
    box.value = draft;
    box.addEventListener('input', () => {
      draft = box.value;
    });
    const send = el('button', {
      class: 'primary',
      text: 'Send Message',
      onclick: () => {
        const text = box.value.trim();
        if (!text) return;
        vscode.postMessage({ type: 'send', text });
        draft = '';
        box.value = '';
      },
    });
    const composer = m.canMessage ? el('div', { class: 'composer' }, [box, send]) : null;

    const chunks = m.chunks.length
      ? el(
          'ol',
          { class: 'chunks' },
          m.chunks.map((c) =>
            el('li', {}, [
              el('span', { class: 'meta', text: `${c.when}${c.kind ? ` · ${c.kind}` : ''} ` }),
              el('span', { text: c.content }),
            ]),
          ),
        )
      : null;

    const reviews = m.reviews.length
      ? el(
          'ul',
          { class: 'reviews' },
          m.reviews.map((r) =>
            el('li', {}, [
              el('span', { text: `${r.label} — ${r.state}` }),
              r.feedback ? el('div', { class: 'body', text: `Feedback: ${r.feedback}` }) : null,
            ]),
          ),
        )
      : null;

    let runLog = null;
    const run = m.run
      ? section('Agent run', 'run-h', [
          el('p', { class: m.run.active ? 'run active' : 'run', text: m.run.sentence }),
          (runLog = el('pre', {
            class: 'run-log',
            tabindex: '0',
            'aria-label': 'Agent run log',
            text: m.run.log || (m.run.active ? 'Waiting for the agent’s first output…' : '(no output)'),
          })),
        ])
      : null;

    const children = [
      el('header', {}, [el('h1', { text: m.title }), actions]),
      facts,
      section('Task', 'task-h', [el('pre', { class: 'task', text: m.task || '(no description)' })]),
      m.clientMessage
        ? section('Client message', 'client-h', [el('pre', { class: 'task', text: m.clientMessage })])
        : null,
      section('Conversation', 'conv-h', [conversation, composer]),
      run,
      chunks ? section('Live progress', 'chunks-h', [chunks]) : null,
      reviews ? section('Submissions', 'reviews-h', [reviews]) : null,
    ];
    const hadFocus = document.activeElement && document.activeElement.id === 'message';
    const previousLog = document.querySelector('.run-log');
    const followTail = !previousLog || previousLog.scrollTop + previousLog.clientHeight >= previousLog.scrollHeight - 4;
    app.replaceChildren(...children.filter(Boolean));
    // Keep showing the newest output, unless the reader scrolled up to read.
    if (runLog && followTail) runLog.scrollTop = runLog.scrollHeight;
    if (hadFocus) document.getElementById('message')?.focus();
  }

  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (msg && msg.type === 'update') render(msg.model);
    if (msg && msg.type === 'missing') {
      app.replaceChildren(el('p', { class: 'muted', text: `Hiring ${msg.id} is not known to the relay any more.` }));
    }
  });
  vscode.postMessage({ type: 'ready' });
})();
