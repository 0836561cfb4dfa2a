package dev.vlcache.core.family.llavanext;

import java.util.List;

/**
 * The geometry of LLaVA-NeXT's any-resolution images, as Hugging Face's {@code LlavaNextImageProcessor} and
 * {@code LlavaNextForConditionalGeneration} compute it: which grid resolution an image gets, how it is resized
 * and padded into it, how many tiles it makes, and which rows or columns of the tiles' feature grid are padding
 * to cut off again.
 *
 * @param pinpoints candidate [height, width] resolutions ({@code image_grid_pinpoints})
 * @param tile the side of one tile in pixels (the vision tower's input)
 * @param featuresPerSide feature rows (and columns) one tile gives (tile / patch size)
 * @param maxTiles LLaVA-OneVision's {@code anyres_max_N}: the grid's features are downsampled when they exceed
 * about N tiles' worth; 0 for LLaVA-NeXT, which keeps them all
 */
record AnyResolution(List<int[]> pinpoints, int tile, int featuresPerSide, int maxTiles) {

	/**
	 * The pinpoint resolution that keeps most of the image's pixels when the image is scaled to fit it, the least
	 * wasted area breaking ties ({@code select_best_resolution}).
	 */
	int[] bestResolution(int height, int width) {
		int[] best = null;
		long bestEffective = 0;
		long leastWasted = Long.MAX_VALUE;
		for (int[] p : this.pinpoints) {
			double scale = Math.min((double) p[1] / width, (double) p[0] / height);
			long downW = (long) (width * scale);
			long downH = (long) (height * scale);
			long effective = Math.min(downW * downH, (long) width * height);
			long wasted = (long) p[0] * p[1] - effective;
			if (effective > bestEffective || (effective == bestEffective && wasted < leastWasted)) {
				best = p;
				bestEffective = effective;
				leastWasted = wasted;
			}
		}
		if (best == null) {
			throw new IllegalStateException("no image_grid_pinpoints");
		}
		return best;
	}

	/** [height, width] of the image resized to fit {@code target} with its aspect ratio kept. */
	static int[] fitInside(int height, int width, int[] target) {
		double scaleW = (double) target[1] / width;
		double scaleH = (double) target[0] / height;
		if (scaleW < scaleH) {
			return new int[] { Math.min((int) Math.ceil(height * scaleW), target[0]), target[1] };
		}
		return new int[] { target[0], Math.min((int) Math.ceil(width * scaleH), target[1]) };
	}

	/** Tiles of the grid, rows and columns, for an image of this size. */
	int[] grid(int height, int width) {
		int[] best = bestResolution(height, width);
		return new int[] { best[0] / this.tile, best[1] / this.tile };
	}

	/**
	 * [rows, columns] of the grid's feature map once the rows or columns that only show padding are cut off
	 * ({@code unpad_image}), before any downsampling.
	 */
	int[] unpadded(int height, int width) {
		int[] grid = grid(height, width);
		int rows = grid[0] * this.featuresPerSide;
		int columns = grid[1] * this.featuresPerSide;
		double originalAspect = (double) width / height;
		double currentAspect = (double) columns / rows;
		if (originalAspect > currentAspect) {
			int newRows = roundTo7(height * ((double) columns / width));
			int padding = (rows - newRows) / 2;
			return new int[] { rows - 2 * padding, columns };
		}
		int newColumns = roundTo7(width * ((double) rows / height));
		int padding = (columns - newColumns) / 2;
		return new int[] { rows, columns - 2 * padding };
	}

	/** Python's {@code int(round(x, 7))}: round to 7 decimals (half to even), then truncate. */
	private static int roundTo7(double x) {
		return (int) new java.math.BigDecimal(x).setScale(7, java.math.RoundingMode.HALF_EVEN).doubleValue();
	}

	/**
	 * [rows, columns] of the grid features that reach the prompt: the unpadded map, downsampled for LLaVA-OneVision
	 * when its ratio to {@code maxTiles} tiles exceeds 1.1.
	 */
	int[] gridFeatures(int height, int width) {
		int[] map = unpadded(height, width);
		double ratio = downsampleRatio(map);
		if (ratio > 1.1) {
			return new int[] { (int) Math.floor(map[0] / ratio), (int) Math.floor(map[1] / ratio) };
		}
		return map;
	}

	/** sqrt(rows x columns / (N x features per tile)), or 0 when nothing is downsampled (LLaVA-NeXT). */
	double downsampleRatio(int[] map) {
		if (this.maxTiles == 0) {
			return 0;
		}
		return Math.sqrt((double) map[0] * map[1] / ((double) this.maxTiles * this.featuresPerSide * this.featuresPerSide));
	}

	/** Prompt tokens of one image: the base tile's features, the grid's, and one newline per grid row. */
	int tokens(int height, int width) {
		int[] g = gridFeatures(height, width);
		return this.featuresPerSide * this.featuresPerSide + g[0] * (g[1] + 1);
	}

}
