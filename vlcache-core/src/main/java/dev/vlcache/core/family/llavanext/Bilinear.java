package dev.vlcache.core.family.llavanext;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * {@code torch.nn.functional.interpolate(mode="bilinear", align_corners=False)} of a [channels, rows, columns]
 * map, without antialiasing: LLaVA-OneVision's downsampling of a large grid's features. Small maps, so it runs on
 * the CPU in float64 and returns the input's dtype.
 */
final class Bilinear {

	private Bilinear() {
	}

	static NDArray resize(NDArray map, int outRows, int outColumns) {
		int channels = (int) map.getShape().get(0);
		int rows = (int) map.getShape().get(1);
		int columns = (int) map.getShape().get(2);
		float[] in = map.toType(DataType.FLOAT32, false).toFloatArray();
		float[] out = new float[channels * outRows * outColumns];
		double scaleY = (double) rows / outRows;
		double scaleX = (double) columns / outColumns;
		for (int y = 0; y < outRows; y++) {
			double sy = Math.max(0, (y + 0.5) * scaleY - 0.5);
			int y0 = Math.min((int) sy, rows - 1);
			int y1 = Math.min(y0 + 1, rows - 1);
			double wy = sy - y0;
			for (int x = 0; x < outColumns; x++) {
				double sx = Math.max(0, (x + 0.5) * scaleX - 0.5);
				int x0 = Math.min((int) sx, columns - 1);
				int x1 = Math.min(x0 + 1, columns - 1);
				double wx = sx - x0;
				for (int c = 0; c < channels; c++) {
					int plane = c * rows * columns;
					double v = (1 - wy) * ((1 - wx) * in[plane + y0 * columns + x0] + wx * in[plane + y0 * columns + x1])
							+ wy * ((1 - wx) * in[plane + y1 * columns + x0] + wx * in[plane + y1 * columns + x1]);
					out[(c * outRows + y) * outColumns + x] = (float) v;
				}
			}
		}
		NDArray result = map.getManager().create(out, new Shape(channels, outRows, outColumns));
		return map.getDataType() == DataType.FLOAT32 ? result : result.toType(map.getDataType(), false);
	}

}
