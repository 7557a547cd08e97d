// create-task's litho_color (beyond Hitem3D): a colour lithophane through the real server and the
// SDK, a 3MF of four coloured parts as PrusaSlicer reads it; and the refusals with their API.md code.
import { describe, expect, it } from 'vitest';
import { backlit3mf, readModelParts } from '@depthmill/client/backlight';
import { createTask, form } from '../helpers/api.js';
import { signedInServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';
import { PHOTOS, slicerInfo, writeTemp } from '../relief/helpers.js';

const live = signedInServer();
const photo = readPhoto(PHOTOS.coffee);

describe('litho_color (beyond Hitem3D)', () => {
  it('goes through the SDK as createTask({ reliefMode, lithoColor }) and gives a 3MF of four coloured parts', async () => {
    const taskId = await live.sdk.createTask({
      file: photo,
      filename: 'coffee.png',
      format: '3mf',
      width: 40,
      reliefMode: 'lithophane',
      lithoColor: true,
    });
    const task = await live.sdk.waitForTask(taskId, { intervalMs: 100 });
    expect(task.depthModel).toBe('lithophane');
    const bytes = await live.sdk.download(task);
    expect(readModelParts(bytes).map((part) => part.name)).toEqual(['cyan', 'magenta', 'yellow', 'white']);
    const info = slicerInfo(writeTemp('colour.3mf', bytes));
    expect([info.parts, info.manifold]).toEqual([4, true]);
    expect(info.size[0]).toBeCloseTo(40, 3);
    // The coffee photo is brown and cream: back-lit, its mean is warm (more red than blue).
    const image = backlit3mf(bytes, 100);
    let [red, blue] = [0, 0];
    for (let i = 0; i < image.rgba.length; i += 4) [red, blue] = [red + image.rgba[i]!, blue + image.rgba[i + 2]!];
    expect(red).toBeGreaterThan(1.1 * blue);
  }, 60_000);

  it.each([
    [{ format: '3' }, /litho_color needs format 5/],
    [{ format: '5', litho_shape: 'cylinder', width: '200' }, /litho_color makes a flat plate/],
    [{ format: '5', shape_base: '1' }, /litho_color makes a rectangular plate/],
    [{ format: '5', relief_mode: 'relief' }, /litho_color only applies with relief_mode=lithophane/],
  ])('refuses litho_color=1 with %o (40020003)', async (fields, message) => {
    const body = form({ relief_mode: 'lithophane', litho_color: '1', ...fields }, [{ bytes: photo, name: 'coffee.png' }]);
    const answer = await createTask(live.server.url, live.accessToken, body);
    expect([answer.status, answer.body.code]).toEqual([400, 40020003]);
    expect(answer.body.msg).toMatch(message);
  });
});
