package dev.vlcache.core.image;

/**
 * Bicubic resizing with the semantics of PIL's {@code Image.resize(..., BICUBIC)}, which Hugging Face image
 * processors call: a separable convolution (horizontal pass, then vertical), cubic kernel with {@code a = -0.5},
 * support widened by the scale factor when shrinking (antialiasing), normalised weights, and rounding to 8 bits
 * after each pass.
 */
public final class BicubicResampler {

	private static final double A = -0.5;

	private static final double SUPPORT = 2.0;

	private BicubicResampler() {
	}

	public static RgbImage resize(RgbImage in, int width, int height) {
		if (width <= 0 || height <= 0) {
			throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height);
		}
		if (width == in.width() && height == in.height()) {
			return in;
		}
		int[][] planes = new int[3][];
		for (int c = 0; c < 3; c++) {
			int[] plane = in.planes()[c];
			int curW = in.width();
			if (width != in.width()) {
				plane = resizeAxis(plane, in.width(), in.height(), width, true);
				curW = width;
			}
			if (height != in.height()) {
				plane = resizeAxis(plane, curW, in.height(), height, false);
			}
			planes[c] = plane;
		}
		return new RgbImage(width, height, planes);
	}

	/** Resamples along x ({@code horizontal}) or y; the other axis is unchanged. */
	private static int[] resizeAxis(int[] src, int w, int h, int outSize, boolean horizontal) {
		int inSize = horizontal ? w : h;
		double scale = (double) inSize / outSize;
		double filterScale = Math.max(scale, 1.0);
		double support = SUPPORT * filterScale;
		int[] starts = new int[outSize];
		double[][] weights = new double[outSize][];
		for (int o = 0; o < outSize; o++) {
			double center = (o + 0.5) * scale;
			int min = Math.max((int) (center - support + 0.5), 0);
			int max = Math.min((int) (center + support + 0.5), inSize);
			double[] k = new double[Math.max(0, max - min)];
			double total = 0;
			for (int i = 0; i < k.length; i++) {
				k[i] = kernel((i + min - center + 0.5) / filterScale);
				total += k[i];
			}
			if (total != 0) {
				for (int i = 0; i < k.length; i++) {
					k[i] /= total;
				}
			}
			starts[o] = min;
			weights[o] = k;
		}
		int outW = horizontal ? outSize : w;
		int outH = horizontal ? h : outSize;
		int[] out = new int[outW * outH];
		for (int y = 0; y < outH; y++) {
			for (int x = 0; x < outW; x++) {
				int o = horizontal ? x : y;
				double[] k = weights[o];
				double sum = 0;
				for (int i = 0; i < k.length; i++) {
					int s = starts[o] + i;
					sum += k[i] * (horizontal ? src[y * w + s] : src[s * w + x]);
				}
				out[y * outW + x] = clamp8(sum);
			}
		}
		return out;
	}

	private static double kernel(double x) {
		x = Math.abs(x);
		if (x < 1.0) {
			return ((A + 2.0) * x - (A + 3.0)) * x * x + 1;
		}
		if (x < 2.0) {
			return (((x - 5) * x + 8) * x - 4) * A;
		}
		return 0.0;
	}

	private static int clamp8(double v) {
		long r = (long) Math.floor(v + 0.5);
		return (int) Math.max(0, Math.min(255, r));
	}

}
