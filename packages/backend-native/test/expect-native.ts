/**
 * Whether these tests must find the native addon. CI sets VOXELKIT_EXPECT_NATIVE=1 after
 * building it and =0 on the fallback run; unset (a developer machine) the addon must load
 * exactly when its build output exists and it is not disabled with VOXELKIT_NATIVE_DISABLE=1.
 */
import { existsSync } from 'node:fs';

import { DEFAULT_ADDON_PATH } from '@voxelkit/backend-native';

export const expectNative =
  process.env.VOXELKIT_EXPECT_NATIVE === undefined
    ? existsSync(DEFAULT_ADDON_PATH) && process.env.VOXELKIT_NATIVE_DISABLE !== '1'
    : process.env.VOXELKIT_EXPECT_NATIVE === '1';
