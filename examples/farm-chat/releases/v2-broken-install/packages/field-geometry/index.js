// Part of release v2-broken-install (BROKEN ON PURPOSE): this package is fine, but the release's
// package-lock.json does not list it, so `npm ci` never gets as far as installing it.

/** Area of a field boundary in square metres (shoelace formula over projected coordinates). */
export function polygonArea(points) {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const [x1, y1] = points[i];
    const [x2, y2] = points[(i + 1) % points.length];
    twice += x1 * y2 - x2 * y1;
  }
  return Math.abs(twice) / 2;
}
