import { refusalText } from '../../graphql/errors';

/**
 * The CSV download: GET the segment's exportPath with the signed-in token. A plain link
 * cannot carry the Authorization header, so the file is fetched and saved from a blob.
 * Resolves with the number of bytes saved; rejects with the server's message.
 */
export async function downloadWithToken(path: string, token: string, filename: string): Promise<number> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) {
    const text = await res.text();
    let message = text || res.statusText;
    try {
      const body = JSON.parse(text) as { errors?: { message: string; extensions?: { code?: unknown } }[] };
      if (body.errors?.length) message = body.errors.map((e) => refusalText(typeof e.extensions?.code === 'string' ? e.extensions.code : undefined, e.message)).join(' ');
    } catch {
      // Not JSON: the text itself.
    }
    throw new Error(`${res.status}: ${message}`);
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return blob.size;
}
