/**
 * SVG → PNG with resvg (a Rust SVG renderer shipped as a prebuilt binary inside its npm platform
 * package). Text is drawn with the Inter font file from `@expo-google-fonts/inter`, loaded by
 * path with system fonts off, so figures look the same on every machine, including containers
 * that have no fonts installed.
 */
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';

const require = createRequire(import.meta.url);

/** Font family name used in every figure's SVG. */
export const FONT_FAMILY = 'Inter';

let fontFiles: string[] | undefined;

/** Renders an SVG document to PNG bytes at its own size. */
export function renderSvgToPng(svg: string): Uint8Array {
  fontFiles ??= [
    require.resolve('@expo-google-fonts/inter/400Regular/Inter_400Regular.ttf'),
    require.resolve('@expo-google-fonts/inter/600SemiBold/Inter_600SemiBold.ttf'),
  ];
  const resvg = new Resvg(svg, {
    font: { fontFiles, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    background: 'white',
  });
  return resvg.render().asPng();
}

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
