// The sample app's page: no framework and no build step; talks to /api/chat/stream with fetch and reads the
// server-sent events from the response body (EventSource cannot POST a form).
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const images = []; // {name, blob, url}

  function setImages(list) {
    images.splice(0, images.length, ...list);
    const thumbs = $('thumbs');
    thumbs.replaceChildren();
    for (const img of images) {
      const el = document.createElement('img');
      el.src = img.url;
      el.alt = img.name;
      thumbs.appendChild(el);
    }
  }

  function addFiles(files) {
    const list = [];
    for (const f of files) {
      list.push({ name: f.name, blob: f, url: URL.createObjectURL(f) });
    }
    setImages(list);
    $('hint').textContent = '';
  }

  $('file').addEventListener('change', (e) => addFiles(e.target.files));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    addFiles(e.dataTransfer.files);
  });

  $('demo').addEventListener('click', async () => {
    const res = await fetch('/api/demo-image', { cache: 'no-store' });
    const blob = await res.blob();
    const question = decodeURIComponent(res.headers.get('X-Demo-Question') || '');
    const answer = decodeURIComponent(res.headers.get('X-Demo-Answer') || '');
    setImages([{ name: 'demo.png', blob: blob, url: URL.createObjectURL(blob) }]);
    $('question').value = question;
    $('hint').textContent = answer ? 'Expected answer: ' + answer : '';
  });

  $('budget').addEventListener('input', () => { $('budget-value').textContent = $('budget').value + '%'; });

  $('ask-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = new FormData();
    form.append('question', $('question').value);
    for (const img of images) {
      form.append('image', img.blob, img.name);
    }
    form.append('policy', $('policy').value);
    form.append('budgetRatio', String(Number($('budget').value) / 100));
    form.append('maxTokens', $('max-tokens').value);
    $('answer').textContent = '';
    $('error').hidden = true;
    $('report').hidden = true;
    $('status').textContent = 'Thinking...';
    $('ask').disabled = true;
    const started = performance.now();
    try {
      const res = await fetch('/api/chat/stream', { method: 'POST', body: form });
      if (!res.ok) {
        showProblem(await res.json().catch(() => ({ title: res.statusText, detail: '' })));
        return;
      }
      await readEvents(res.body, (event, data) => {
        if (event === 'token') {
          $('answer').textContent += data.text;
          $('status').textContent = 'Answering...';
        } else if (event === 'done') {
          $('answer').textContent = data.answer;
          $('status').textContent = 'Done in ' + Math.round(performance.now() - started) + ' ms.';
          showReport(data);
        } else if (event === 'error') {
          showProblem(data);
        }
      });
    } catch (err) {
      showProblem({ title: 'Network error', detail: String(err) });
    } finally {
      $('ask').disabled = false;
    }
  });

  async function readEvents(body, onEvent) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
        let event = 'message';
        const data = [];
        for (const line of block.split(/\r?\n/)) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length) onEvent(event, JSON.parse(data.join('\n')));
      }
    }
  }

  function showProblem(problem) {
    $('status').textContent = '';
    const el = $('error');
    el.hidden = false;
    el.textContent = (problem.title || 'Error') + (problem.detail ? ': ' + problem.detail : '');
  }

  function bytes(n) {
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(2) + ' MiB';
    if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + ' KiB';
    return n + ' B';
  }

  function showReport(data) {
    const c = data.compression;
    if (!c) return;
    $('report').hidden = false;
    $('r-policy').textContent = c.policy + (c.policy === 'full' ? '' : ' @ ' + Math.round(c.budgetRatio * 100) + '%');
    $('retained').textContent = (c.retainedRatio * 100).toFixed(1) + '%';
    $('kv-before').textContent = bytes(c.kvBytesBefore);
    $('kv-after').textContent = bytes(c.kvBytesAfter);
    $('r-tokens').textContent = c.promptTokens + ' tokens (' + c.imageTokens + ' image)';
    $('r-time').textContent = data.timings ? Math.round(data.timings.total) + ' ms' : '';
    drawChart(c);
  }

  function drawChart(c) {
    const svg = $('chart');
    const ns = 'http://www.w3.org/2000/svg';
    svg.replaceChildren();
    const layers = c.layerBudgets.length;
    const width = svg.clientWidth || 480;
    const height = 220;
    const left = 34, bottom = 24, top = 8;
    const plotH = height - bottom - top;
    const group = (width - left - 8) / Math.max(1, layers);
    const bar = Math.max(4, Math.min(28, group / 2 - 4));
    const add = (name, attrs, text) => {
      const el = document.createElementNS(ns, name);
      for (const k in attrs) el.setAttribute(k, attrs[k]);
      if (text !== undefined) el.textContent = text;
      svg.appendChild(el);
      return el;
    };
    for (let i = 0; i <= 4; i++) {
      const y = top + plotH - plotH * i / 4;
      add('line', { x1: left, x2: width - 4, y1: y, y2: y, stroke: '#e3e6ec' });
      add('text', { x: 2, y: y + 4, 'font-size': 10, fill: '#5b6475' }, (i * 25) + '%');
    }
    for (let l = 0; l < layers; l++) {
      const x = left + l * group + group / 2;
      const sparsity = c.layerSparsity[l] == null ? 0 : c.layerSparsity[l];
      const budget = c.promptTokens > 0 ? c.layerBudgets[l] / c.promptTokens : 0;
      const h1 = plotH * sparsity, h2 = plotH * Math.min(1, budget);
      const s = add('rect', { class: 'sparsity', x: x - bar - 1, y: top + plotH - h1, width: bar, height: h1 });
      s.appendChild(titled('layer ' + l + ' sparsity ' + (sparsity * 100).toFixed(1) + '%'));
      const b = add('rect', { class: 'budget', x: x + 1, y: top + plotH - h2, width: bar, height: h2 });
      b.appendChild(titled('layer ' + l + ' budget ' + c.layerBudgets[l] + ' tokens'));
      add('text', { x: x - 4, y: height - 8, 'font-size': 10, fill: '#5b6475' }, String(l));
    }
    function titled(text) {
      const t = document.createElementNS(ns, 'title');
      t.textContent = text;
      return t;
    }
  }
})();
