package dev.vlcache.core.text;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vlcache.core.Fixtures;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.kv.LayerKvCache;
import dev.vlcache.core.runtime.LibtorchKernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * A decoding step as one libtorch call per layer ({@link LibtorchKernels#decoderStep}) computes what the engine's
 * operations one by one compute, bit for bit: logits and the keys and values written to every layer's cache, for a
 * batch of sequences of different lengths, on every fixture and weight storage (float32, float16 beside float32
 * activations, int8 fused projections, int8 with dynamically quantized one-row products).
 */
class WholeLayerStepTest {

	@AfterEach
	void restore() {
		DecoderLayer.wholeLayerSteps = true;
	}

	static Stream<Arguments> fixturesAndStorages() {
		return Fixtures.folders()
			.stream()
			.flatMap(f -> Stream.of("float32", "float16", "int8", "int8-dynamic")
				.map(weights -> Arguments.of(f.getFileName().toString(), f, weights)));
	}

	@ParameterizedTest(name = "{0} {2}")
	@MethodSource("fixturesAndStorages")
	void oneCallPerLayerEqualsTheOperationsOneByOne(String name, Path folder, String weights) {
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32").withWeights(weights));
				NDManager scope = model.newRequestManager()) {
			long hidden = model.config().text().hiddenSize();
			int[] promptLengths = { 9, 23 };
			List<KvCache> opByOp = new ArrayList<>();
			List<KvCache> oneCall = new ArrayList<>();
			for (int length : promptLengths) {
				KvCache cache = model.newCache(scope, length);
				float[] values = new float[(int) (length * hidden)];
				for (int i = 0; i < values.length; i++) {
					values[i] = (float) Math.sin(0.37 * i + length) * 0.5f;
				}
				try (NDManager prefill = scope.newSubManager()) {
					model.forward(prefill, prefill.create(values, new Shape(length, hidden)), cache, 0,
							AttentionObserver.NONE, false);
				}
				opByOp.add(cache);
				// The copy has no room ahead, so the one-call steps also grow the storage they write into.
				oneCall.add(cache.copy(scope, 0));
			}
			for (int step = 0; step < 4; step++) {
				// Every other step the batch is one sequence: the two paths must also agree on batches of one.
				int batch = step % 2 == 0 ? 2 : 1;
				float[] expected = decode(model, scope, opByOp.subList(0, batch), step, false);
				float[] actual = decode(model, scope, oneCall.subList(0, batch), step, true);
				assertThat(actual).as("logits of step %d", step).containsExactly(expected);
			}
			for (int s = 0; s < promptLengths.length; s++) {
				for (int l = 0; l < model.numLayers(); l++) {
					LayerKvCache a = opByOp.get(s).layer(l);
					LayerKvCache b = oneCall.get(s).layer(l);
					assertThat(b.length()).isEqualTo(a.length());
					assertThat(b.positions()).containsExactly(a.positions());
					assertThat(b.keys(scope).toFloatArray()).as("keys of layer %d", l)
						.containsExactly(a.keys(scope).toFloatArray());
					assertThat(b.values(scope).toFloatArray()).as("values of layer %d", l)
						.containsExactly(a.values(scope).toFloatArray());
				}
			}
		}
	}

	private static float[] decode(LlavaModel model, NDManager scope, List<KvCache> caches, int step,
			boolean wholeLayer) {
		DecoderLayer.wholeLayerSteps = wholeLayer;
		long[] ids = new long[caches.size()];
		int[] indices = new int[caches.size()];
		List<RotaryPositions> rotary = new ArrayList<>();
		for (int b = 0; b < ids.length; b++) {
			ids[b] = (5 + 3 * step + b) % model.config().text().vocabSize();
			indices[b] = caches.get(b).layer(0).length();
			rotary.add(RotaryPositions.SEQUENTIAL);
		}
		try (NDManager stepScope = scope.newSubManager()) {
			return model.decode(stepScope, ids, caches, indices, rotary).toFloatArray();
		}
	}

	@Test
	void aDecoderBlockNeedsEveryProjectionAndWholeGroups() {
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			LibtorchKernels kernels = LibtorchKernels.load(manager);
			NDArray norm = manager.ones(new Shape(8));
			LibtorchKernels.Projection p = new LibtorchKernels.Projection(manager.ones(new Shape(8, 8)), null, null,
					false);
			List<LibtorchKernels.Projection> six = List.of(p, p, p, p, p, p);
			assertThatIllegalArgumentException()
				.isThrownBy(() -> kernels.decoderBlock(norm, norm, new ArrayList<>(six), 2, 1, 4, 8, 1e-6))
				.withMessageContaining("q, k, v, o, gate, up and down");
			List<LibtorchKernels.Projection> seven = new ArrayList<>(six);
			seven.add(p);
			assertThatIllegalArgumentException()
				.isThrownBy(() -> kernels.decoderBlock(norm, norm, new ArrayList<>(seven), 3, 2, 4, 8, 1e-6))
				.withMessageContaining("3 heads do not group over 2 kv heads");
		}
	}

}
