package dev.vlcache.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LinearWeightTest {

	@Test
	void rowBlocksOnSeveralThreadsGiveTheWholeProduct() {
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			NDArray w = manager.randomUniform(-1, 1, new Shape(1031, 1024));
			NDArray b = manager.randomUniform(-1, 1, new Shape(1031));
			LinearWeight linear = new LinearWeight(w, b);
			try (NDManager scope = manager.newSubManager()) {
				NDArray x = scope.randomUniform(-1, 1, new Shape(1, 1024));
				float[] expected = Ops.linear(x, w, b).toFloatArray();
				NDArray y = linear.apply(x);
				assertThat(y.getShape().getShape()).containsExactly(1, 1031);
				assertThat(y.getManager()).isSameAs(scope);
				float[] actual = y.toFloatArray();
				for (int i = 0; i < expected.length; i++) {
					assertThat(actual[i]).isCloseTo(expected[i], Offset.offset(1e-4f));
				}
				// Several rows (prefill) take the single-call path and agree too.
				NDArray rows = scope.randomUniform(-1, 1, new Shape(3, 1024));
				assertThat(linear.apply(rows).toFloatArray()).containsExactly(Ops.linear(rows, w, b).toFloatArray());
			}
		}
	}

}
