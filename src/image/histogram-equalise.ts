/**
 * Global histogram equalisation as scikit-image's exposure.equalize_hist (nbins 256): histogram
 * over [min, max] of the image, cumulative distribution normalised to end at 1, then each value
 * mapped by linear interpolation of the CDF at the bin centres. Works on float data directly, so a
 * 16-bit radiograph is not first crushed to 8 bits. Output lies in (0, 1].
 */
export function equaliseHistogram(data: Float32Array, nbins = 256): Float32Array {
  const n = data.length;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) { const v = data[i]; if (v < min) min = v; if (v > max) max = v; }
  const out = new Float32Array(n);
  if (!(max > min)) return out.fill(1); // flat image: every pixel is at the top of the CDF
  const width = (max - min) / nbins;
  const hist = new Float64Array(nbins);
  for (let i = 0; i < n; i++) {
    let b = Math.floor((data[i] - min) / width);
    if (b >= nbins) b = nbins - 1; // numpy.histogram puts max in the last bin
    hist[b]++;
  }
  const cdf = new Float64Array(nbins);
  let acc = 0;
  for (let b = 0; b < nbins; b++) { acc += hist[b]; cdf[b] = acc / n; }
  // np.interp(x, centres, cdf): clamps below the first and above the last centre.
  const c0 = min + width / 2;
  for (let i = 0; i < n; i++) {
    const t = (data[i] - c0) / width;
    if (t <= 0) out[i] = cdf[0];
    else if (t >= nbins - 1) out[i] = cdf[nbins - 1];
    else { const k = Math.floor(t), f = t - k; out[i] = cdf[k] + f * (cdf[k + 1] - cdf[k]); }
  }
  return out;
}
