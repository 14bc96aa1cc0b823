// A webhook URL is a credential (Slack's path is the key): messages show its origin only.
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const hidden = (u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.username !== '' || u.password !== '';
    return `${u.protocol}//${u.host}${hidden ? '/…' : '/'}`;
  } catch {
    return '(an invalid URL)';
  }
}
