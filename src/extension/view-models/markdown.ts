// Markdown helpers for tooltips and review documents: text from clients is shown
// literally, never interpreted as markdown, links or HTML.

/** Escapes markdown (and HTML) syntax so the text renders as written. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

/** A fenced code block that cannot be closed early by the content. */
export function fence(content: string, language = ''): string {
  const longest = Math.max(2, ...Array.from(content.matchAll(/`+/g), (m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${language}\n${content}\n${ticks}`;
}

/** Block-quotes text line by line, escaped. */
export function quote(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => `> ${escapeMarkdown(l)}`)
    .join('\n');
}
