import { StagingRows } from './import-stream';

/** Writes `chunks` to a members CSV stream as they come and resolves with its error's message, or null when it ended. */
function run(chunks: Buffer[]): Promise<string | null> {
  return new Promise((resolve) => {
    const rows = new StagingRows('MEMBERS', 'csv');
    rows.on('data', () => {});
    rows.on('error', (err) => resolve(err.message));
    rows.on('end', () => resolve(null));
    for (const c of chunks) rows.write(c);
    rows.end();
  });
}

const UTF16 = 'The file is UTF-16 (it begins with a UTF-16 byte order mark): save it as UTF-8, e.g. "CSV UTF-8"';

describe('StagingRows: the file\'s first bytes', () => {
  it('refuses UTF-16 by its byte order mark, however the chunks split it', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('externalId\nm-1\n', 'utf16le')]);
    expect(await run([le])).toBe(UTF16);
    expect(await run([le.subarray(0, 1), le.subarray(1)])).toBe(UTF16);
    expect(await run([Buffer.from([0xfe]), Buffer.from([0xff, 0x00, 0x65])])).toBe(UTF16);
  });

  it('reads UTF-8 as before, its byte order mark and a first chunk of one byte included', async () => {
    const file = Buffer.from('\uFEFFexternalId\nm-1\n', 'utf8');
    expect(await run([file])).toBeNull();
    expect(await run([file.subarray(0, 1), file.subarray(1, 2), file.subarray(2)])).toBeNull();
    expect(await run([Buffer.from('e'), Buffer.from('xternalId\nm-1\n')])).toBeNull();
  });

  it('a file of one byte is what it was: a header row without its required column', async () => {
    expect(await run([Buffer.from('x')])).toMatch(/lacks the required column externalId/);
  });
});
