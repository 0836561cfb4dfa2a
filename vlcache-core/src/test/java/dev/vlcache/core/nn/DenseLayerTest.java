package dev.vlcache.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

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
			assertClose(layer.apply(row).toFloatArray(), java.util.Arrays.copyOf(expected, 7));
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

	private static float[] weightRows(float[] weight, int columns, int... rows) {
		float[] out = new float[rows.length * columns];
		for (int i = 0; i < rows.length; i++) {
			System.arraycopy(weight, rows[i] * columns, out, i * columns, columns);
		}
		return out;
	}

	private static void assertClose(float[] actual, float[] expected) {
		assertThat(actual).hasSameSizeAs(expected);
		for (int i = 0; i < expected.length; i++) {
			assertThat(actual[i]).isCloseTo(expected[i], within(1e-5f));
		}
	}

}
