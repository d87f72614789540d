/**
 * A 16³ patch of real CT (case ts003 of shared/data/spleen-mini) after the MONAI preprocessing
 * (RAS, 1.5×1.5×2 mm, window −57…164 HU → 0…1, foreground crop), read from the golden
 * `05_CropForegroundd_{image.f32,label.u8}` files. The crop (x 24–39, y 100–115, z 12–27) is
 * 40 % spleen.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const DIR = path.resolve(
  __dirname,
  '../../../../../shared/golden/preprocess/real_spleen_ts003_inference',
);

export function spleenPatch(): { image: Float32Array; label: Float32Array; size: number } {
  const meta = JSON.parse(readFileSync(path.join(DIR, 'preprocess.json'), 'utf8'));
  const last = meta.steps[meta.steps.length - 1];
  const [, X, Y, Z] = last.keys.image.stats.shape as number[];
  const raw = readFileSync(path.join(DIR, '05_CropForegroundd_image.f32'));
  const image = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const label = readFileSync(path.join(DIR, '05_CropForegroundd_label.u8'));
  const size = 16;
  const [x0, y0, z0] = [24, 100, 12];
  const outImage = new Float32Array(size ** 3);
  const outLabel = new Float32Array(size ** 3);
  let k = 0;
  for (let x = x0; x < x0 + size; x++) {
    for (let y = y0; y < y0 + size; y++) {
      for (let z = z0; z < z0 + size; z++, k++) {
        const i = (x * Y + y) * Z + z;
        outImage[k] = image[i];
        outLabel[k] = label[i];
      }
    }
  }
  if (X < x0 + size) throw new Error('unexpected golden shape');
  return { image: outImage, label: outLabel, size };
}
