import { availableParallelism } from 'node:os';
import { loadConfig } from './env';

describe('WORKERS and DB_POOL_MAX', () => {
  it('WORKERS: 1 unless set; auto is one per CPU; anything else must be a positive integer', () => {
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ WORKERS: '' }).workers).toBe(1);
    expect(loadConfig({ WORKERS: '3' }).workers).toBe(3);
    expect(loadConfig({ WORKERS: 'auto' }).workers).toBe(availableParallelism());
    for (const bad of ['0', '-1', '1.5', 'two', 'AUTO']) {
      expect(() => loadConfig({ WORKERS: bad })).toThrow(`WORKERS must be a positive integer or "auto", got "${bad}"`);
    }
  });

  it('DB_POOL_MAX: 20 unless set', () => {
    expect(loadConfig({}).dbPoolMax).toBe(20);
    expect(loadConfig({ DB_POOL_MAX: '8' }).dbPoolMax).toBe(8);
    expect(() => loadConfig({ DB_POOL_MAX: '0' })).toThrow('DB_POOL_MAX must be a positive integer');
  });
});
