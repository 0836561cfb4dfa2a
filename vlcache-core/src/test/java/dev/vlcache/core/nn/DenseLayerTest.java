package dev.vlcache.core.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vlcache.testsupport.SafetensorsWriter;
import dev.vlcache.core.checkpoint.WeightIndex;
import dev.vlcache.core.checkpoint.WeightLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

class DenseLayerTest {

	@Test
	void aTransposedWeightComputesWhatLinearComputesAndReleasesTheCheckpointLayout() {
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			manager.getEngine().setRandomSeed(3);
			NDArray weight = manager.randomNormal(new Shape(7, 5));
			NDArray x = manager.randomNormal(new Shape(3, 5));
			float[] expectedWeight = weight.toFloatArray();
			float[] expected = Ops.linear(x, weight, null).toFloatArray();
			DenseLayer layer = DenseLayer.transposing(weight);
			assertThat(weight.isReleased()).isTrue();
			NDArray y = layer.apply(x);
			assertThat(y.getShape()).isEqualTo(new Shape(3, 7));
			assertClose(y.toFloatArray(), expected);
			// A tied head's table: rows of W, whatever the layout.
			NDArray ids = manager.create(new long[] { 6, 0, 6 });
			assertClose(layer.rows(manager, ids).toFloatArray(), weightRows(expectedWeight, 5, 6, 0, 6));
			// One row, as in decoding.
			NDArray row = x.get("0:1");
			assertClose(layer.apply(row).toFloatArray(), Arrays.copyOf(expected, 7));
		}
	}

	@Test
	void aKeptLayoutComputesTheSameAndStaysUsable() {
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			NDArray weight = manager.arange(12f).reshape(4, 3);
			DenseLayer layer = DenseLayer.keepingLayout(weight);
			NDArray x = manager.create(new float[] { 1, 0, 2 }, new Shape(1, 3));
			assertThat(layer.apply(x).toFloatArray()).containsExactly(4, 13, 22, 31);
			assertThat(weight.isReleased()).isFalse();
			assertThat(layer.rows(manager, manager.create(new long[] { 2 })).toFloatArray()).containsExactly(6, 7, 8);
			assertThat(weight.getShape()).isEqualTo(new Shape(4, 3));
			assertThatIllegalArgumentException().isThrownBy(() -> DenseLayer.keepingLayout(manager.ones(new Shape(3))))
				.withMessageContaining("matrix");
		}
	}

	@Test
	void aLargeMatrixIsReadTransposedAndASmallOneAsStored(@TempDir Path dir) throws IOException {
		int side = 2048; // side^2 = TRANSPOSED_FROM: the smallest matrix stored transposed
		SplittableRandom random = new SplittableRandom(5);
		float[] large = new float[side * side];
		for (int i = 0; i < large.length; i++) {
			large[i] = (float) random.nextGaussian() * 0.02f;
		}
		float[] bias = new float[side];
		bias[7] = 1.5f;
		String p = "language_model.model.layers.0.mlp.";
		SafetensorsWriter.write(dir.resolve("model.safetensors"),
				List.of(new SafetensorsWriter.Tensor(p + "up_proj.weight", SafetensorsWriter.DType.F32, new long[] { side, side }, large),
						new SafetensorsWriter.Tensor(p + "up_proj.bias", SafetensorsWriter.DType.F32, new long[] { side }, bias),
						new SafetensorsWriter.Tensor(p + "gate_proj.weight", SafetensorsWriter.DType.F32, new long[] { 4, 3 },
								new float[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 })));
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			WeightLoader loader = new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32);
			String name = "text.layers.0.mlp.up_proj";
			DenseLayer layer = DenseLayer.load(loader, name, side, side, true);
			assertThat(layer.isTransposed()).isTrue();
			assertThat(DenseLayer.storesTransposed(side, side - 1)).isFalse();
			NDArray x = manager.randomNormal(new Shape(2, side));
			float[] expected = Ops.linear(x, loader.load(name + ".weight", side, side), loader.load(name + ".bias", side))
				.toFloatArray();
			assertClose(layer.apply(x).toFloatArray(), expected, 1e-4f);
			assertClose(layer.apply(x.get("1:2")).toFloatArray(), Arrays.copyOfRange(expected, side, 2 * side), 1e-4f);

			DenseLayer small = DenseLayer.load(loader, "text.layers.0.mlp.gate_proj", 4, 3, false);
			assertThat(small.isTransposed()).isFalse();
			assertThat(small.apply(manager.create(new float[] { 1, 0, 2 }, new Shape(1, 3))).toFloatArray())
				.containsExactly(4, 13, 22, 31);
		}
	}

	private static float[] weightRows(float[] weight, int columns, int... rows) {
		float[] out = new float[rows.length * columns];
		for (int i = 0; i < rows.length; i++) {
			System.arraycopy(weight, rows[i] * columns, out, i * columns, columns);
		}
		return out;
	}

	private static void assertClose(float[] actual, float[] expected) {
		assertClose(actual, expected, 1e-5f);
	}

	private static void assertClose(float[] actual, float[] expected, float tolerance) {
		assertThat(actual).hasSameSizeAs(expected);
		for (int i = 0; i < expected.length; i++) {
			assertThat(actual[i]).isCloseTo(expected[i], within(tolerance));
		}
	}

}
