package dev.vlcache.core.runtime;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class LibtorchKernelsTest {

	/**
	 * A batch's attention in one call gives what DJL's operations give per sequence, bit for bit, on caches of
	 * different lengths read as views of larger storage (as {@code LayerKvCache} hands them out).
	 */
	@Test
	void batchedAttentionEqualsTheOperationsOneByOne() {
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			LibtorchKernels kernels = LibtorchKernels.load(manager);
			int[] lengths = { 5, 37 };
			List<NDArray> queries = List.of(manager.randomNormal(new Shape(2, 3, 8)), manager.randomNormal(new Shape(2, 3, 8)));
			NDList expected = new NDList();
			List<NDArray> keys = new java.util.ArrayList<>();
			List<NDArray> values = new java.util.ArrayList<>();
			for (int i = 0; i < lengths.length; i++) {
				NDArray keyStorage = manager.randomNormal(new Shape(2, 50, 8));
				NDArray valueStorage = manager.randomNormal(new Shape(2, 50, 8));
				NDArray k = keyStorage.get(new NDIndex(":, :{}", lengths[i]));
				NDArray v = valueStorage.get(new NDIndex(":, :{}", lengths[i]));
				keys.add(k);
				values.add(v);
				expected.add(queries.get(i).matMul(k.transpose(0, 2, 1)).softmax(-1).matMul(v));
			}
			NDArray out = kernels.attend(queries, keys, values);
			assertThat(out.getShape()).isEqualTo(new Shape(4, 3, 8));
			assertThat(out.toFloatArray()).containsExactly(NDArrays.concat(expected, 0).toFloatArray());
			assertThat(out.getManager()).isSameAs(queries.get(0).getManager());

			assertThatIllegalArgumentException().isThrownBy(() -> kernels.attend(queries, keys.subList(0, 1), values))
				.withMessageContaining("per sequence");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> kernels.int8Linear(queries.get(0), manager.ones(new Shape(4, 8)), manager.ones(new Shape(4))))
				.withMessageContaining("int8 matrix");
		}
	}

}
