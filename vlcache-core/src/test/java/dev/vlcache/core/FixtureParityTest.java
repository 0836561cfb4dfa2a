package dev.vlcache.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import dev.vlcache.core.checkpoint.SafetensorsFile;
import dev.vlcache.core.checkpoint.TensorEntry;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.compression.CompressionPolicies;
import dev.vlcache.core.compression.CompressionReport;
import dev.vlcache.core.compression.CompressionRun;
import dev.vlcache.core.compression.CacheCompressor;
import dev.vlcache.core.compression.Allocation;
import dev.vlcache.core.compression.ScoringWindow;
import dev.vlcache.core.generation.Sampler;
import dev.vlcache.core.image.ImageDecoder;
import dev.vlcache.core.image.RgbImage;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.text.AttentionObserver;
import dev.vlcache.core.tokenizer.EncodedPrompt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks every fixture folder under {@code vlcache.fixtures} against its float64 reference outputs, row by row of
 * the tolerance table in {@code fixtures/README.md}: token ids, own preprocessing, prompt logits, step
 * logits, greedy tokens with the full cache, and the VL-Cache rows (sparsity, scores, budgets, cache lengths,
 * greedy tokens on the compressed cache). A folder dropped in is checked without code changes.
 */
class FixtureParityTest {

	private static final List<LlavaModel> OPEN = new ArrayList<>();

	@TestFactory
	Stream<DynamicContainer> everyFixture() {
		List<Path> folders = Fixtures.folders();
		assertThat(folders).as("fixture folders under %s", Fixtures.root()).isNotEmpty();
		return folders.stream().map(this::fixture);
	}

	@AfterAll
	static void closeModels() {
		OPEN.forEach(LlavaModel::close);
	}

	private DynamicContainer fixture(Path folder) {
		Fixture f = new Fixture(folder);
		return DynamicContainer.dynamicContainer(folder.getFileName().toString(), Stream.of(
				DynamicTest.dynamicTest("token ids", f::tokenIds),
				DynamicTest.dynamicTest("own preprocessing", f::preprocessing),
				DynamicTest.dynamicTest("prompt logits", f::promptLogits),
				DynamicTest.dynamicTest("step logits and greedy tokens (full cache)", f::stepLogitsAndGreedy),
				DynamicTest.dynamicTest("vl-cache sparsity, scores, budgets, cache lengths, greedy tokens", f::vlCache)));
	}

	private static final class Fixture {

		private final Path folder;

		private JsonObject expected;

		private Map<String, TensorEntry> tensors;

		private LlavaModel model;

		Fixture(Path folder) {
			this.folder = folder;
		}

		private synchronized void open() {
			if (this.model != null) {
				return;
			}
			try {
				this.expected = JsonParser.parseString(Files.readString(this.folder.resolve("expected.json")))
					.getAsJsonObject();
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
			this.tensors = new HashMap<>();
			for (TensorEntry e : SafetensorsFile.readEntries(this.folder.resolve("expected.safetensors"))) {
				this.tensors.put(e.name(), e);
			}
			this.model = LlavaModel.load(this.folder, new ModelOptions("cpu", "float32"));
			OPEN.add(this.model);
		}

		private int imageCount() {
			return this.expected.getAsJsonArray("images").size();
		}

		private EncodedPrompt encode() {
			ChatMessage user = ChatMessage.user(this.expected.get("messages_text").getAsString(), imageCount());
			return this.model.promptEncoder().encode(List.of(user), true, 0);
		}

		void tokenIds() {
			open();
			EncodedPrompt prompt = encode();
			assertThat(prompt.renderedPrompt()).isEqualTo(this.expected.get("rendered_prompt").getAsString());
			assertThat(prompt.ids()).containsExactly(longs(this.expected.getAsJsonArray("input_ids")));
			assertThat(this.model.config().imageTokensPerImage())
				.isEqualTo(this.expected.get("image_tokens_per_image").getAsInt());
		}

		void preprocessing() throws IOException {
			open();
			float[] reference = SafetensorsFile.readFloats(this.tensors.get("pixel_values"));
			JsonArray images = this.expected.getAsJsonArray("images");
			List<float[]> ours = new ArrayList<>();
			for (int i = 0; i < images.size(); i++) {
				byte[] bytes = Files.readAllBytes(this.folder.resolve(images.get(i).getAsString()));
				RgbImage image = ImageDecoder.decode(bytes, images.get(i).getAsString());
				ours.add(this.model.imageProcessor().preprocess(image));
			}
			double sum = 0;
			int o = 0;
			for (float[] one : ours) {
				for (float v : one) {
					sum += Math.abs(v - reference[o++]);
				}
			}
			assertThat(o).as("preprocessed element count").isEqualTo(reference.length);
			assertThat(sum / reference.length).as("mean abs diff of pixel values").isLessThanOrEqualTo(0.02);
		}

		void promptLogits() {
			open();
			float[] reference = SafetensorsFile.readFloats(this.tensors.get("prompt_logits"));
			try (NDManager scope = this.model.newRequestManager()) {
				EncodedPrompt prompt = encode();
				KvCache cache = this.model.newCache(scope, prompt.length() + 16);
				NDArray logits = prefill(scope, prompt, cache, AttentionObserver.NONE, true);
				assertClose("prompt logits", logits.toFloatArray(), reference);
			}
		}

		void stepLogitsAndGreedy() {
			open();
			long[] greedyRef = longs(this.expected.getAsJsonArray("greedy_tokens_full_cache"));
			TensorEntry stepEntry = this.tensors.get("step_logits");
			float[] stepRef = SafetensorsFile.readFloats(stepEntry);
			int vocab = (int) stepEntry.shape()[1];
			try (NDManager scope = this.model.newRequestManager()) {
				EncodedPrompt prompt = encode();
				KvCache cache = this.model.newCache(scope, prompt.length() + greedyRef.length);
				float[] last = prefill(scope, prompt, cache, AttentionObserver.NONE, false).toFloatArray();
				long[] greedy = new long[greedyRef.length];
				greedy[0] = Sampler.argmax(last);
				for (int i = 0; i < greedyRef.length; i++) {
					// Feed the reference token so that step logits stay comparable even after a mismatch.
					float[] logits = step(scope, cache, greedyRef[i], prompt.length() + i);
					float[] ref = new float[vocab];
					System.arraycopy(stepRef, i * vocab, ref, 0, vocab);
					assertClose("step logits row " + i, logits, ref);
					if (i + 1 < greedy.length) {
						greedy[i + 1] = Sampler.argmax(logits);
					}
				}
				assertThat(greedy).as("greedy tokens with the full cache").containsExactly(greedyRef);
			}
		}

		void vlCache() {
			open();
			JsonObject vl = this.expected.getAsJsonObject("vlcache");
			CompressionOptions options = CompressionOptions.builder()
				.policy("vl-cache")
				.budgetRatio(vl.get("budget_ratio").getAsDouble())
				.sparsityThreshold(vl.get("sparsity_threshold").getAsDouble())
				.allocation(Allocation.parse(vl.get("allocation").getAsString()))
				.scoringWindow(scoringWindow(vl))
				.hybridUniformShare(vl.has("hybrid_uniform_share") ? vl.get("hybrid_uniform_share").getAsDouble() : 0.8)
				.build();
			long[] greedyRef = longs(vl.getAsJsonArray("greedy_tokens"));
			try (NDManager scope = this.model.newRequestManager()) {
				EncodedPrompt prompt = encode();
				KvCache cache = this.model.newCache(scope, prompt.length());
				CompressionRun run = CompressionPolicies.get("vl-cache").begin(prompt.layout(), options,
						this.model.numLayers());
				float[] last = prefill(scope, prompt, cache, run, false).toFloatArray();
				CompressionReport report = CacheCompressor.apply(cache, run, "vl-cache", options, prompt.layout(),
						greedyRef.length);
				double[] sparsityRef = doubles(vl.getAsJsonArray("layer_sparsity"));
				for (int l = 0; l < sparsityRef.length; l++) {
					assertThat(report.sparsities()[l]).as("layer %d sparsity", l)
						.isCloseTo(sparsityRef[l], org.assertj.core.data.Offset.offset(0.02));
				}
				double[][] scores = run.plan().scores();
				for (int l = 0; l < this.model.numLayers(); l++) {
					float[] scoresRef = SafetensorsFile.readFloats(this.tensors.get("vlcache_scores_layer_" + l));
					assertClose("layer " + l + " scores", toFloats(scores[l]), scoresRef);
				}
				assertThat(report.budgets()).as("layer budgets")
					.containsExactly(ints(vl.getAsJsonArray("layer_budgets")));
				assertThat(cache.lengths()).as("cache lengths after compression").containsExactly(report.budgets());
				long[] greedy = new long[greedyRef.length];
				greedy[0] = Sampler.argmax(last);
				for (int i = 0; i < greedyRef.length; i++) {
					float[] logits = step(scope, cache, greedy[i], prompt.length() + i);
					if (i + 1 < greedy.length) {
						greedy[i + 1] = Sampler.argmax(logits);
					}
				}
				assertThat(greedy).as("greedy tokens on the compressed cache").containsExactly(greedyRef);
				assertThat(cache.lengths()).as("cache lengths after decoding")
					.containsExactly(ints(vl.getAsJsonArray("cache_lengths_after_decode")));
				long perEntry = 2L * this.model.config().text().numKvHeads() * this.model.config().text().headDim() * 4;
				long keptEntries = java.util.Arrays.stream(report.budgets()).sum();
				assertThat(report.kvBytesAfter()).as("KV bytes after = kept entries' size").isEqualTo(keptEntries * perEntry);
			}
		}

		/** An integer window, or anything else ("auto", "post-vision") for the post-vision segment. */
		private static ScoringWindow scoringWindow(JsonObject vl) {
			if (!vl.has("scoring_window") || vl.get("scoring_window").isJsonNull()) {
				return ScoringWindow.AUTO;
			}
			String value = vl.get("scoring_window").getAsString();
			return value.matches("\\d+") ? ScoringWindow.parse(value) : ScoringWindow.AUTO;
		}

		private NDArray prefill(NDManager scope, EncodedPrompt prompt, KvCache cache, AttentionObserver observer,
				boolean allRows) {
			float[] pixels = SafetensorsFile.readFloats(this.tensors.get("pixel_values"));
			TensorEntry e = this.tensors.get("pixel_values");
			NDArray pixelValues = scope.create(pixels, new Shape(e.shape()));
			NDArray features = this.model.imageFeatures(pixelValues);
			NDArray embeddings = this.model.inputEmbeddings(scope, prompt, features);
			return this.model.forward(scope, embeddings, cache, 0, observer, allRows);
		}

		private float[] step(NDManager scope, KvCache cache, long token, int position) {
			try (NDManager stepScope = scope.newSubManager()) {
				NDArray embedding = this.model.embedTokens(stepScope, token);
				return this.model.forward(stepScope, embedding, cache, position, AttentionObserver.NONE, false)
					.toFloatArray();
			}
		}

	}

	static void assertClose(String what, float[] actual, float[] reference) {
		assertThat(actual.length).as(what + " length").isEqualTo(reference.length);
		double worst = 0;
		int worstIndex = -1;
		for (int i = 0; i < actual.length; i++) {
			double excess = Math.abs(actual[i] - reference[i]) - (1e-3 + 1e-3 * Math.abs(reference[i]));
			if (excess > worst) {
				worst = excess;
				worstIndex = i;
			}
		}
		assertThat(worstIndex).as("%s: element %d is %s, reference %s (bound 1e-3 + 1e-3*|ref|)", what, worstIndex,
				worstIndex < 0 ? "" : actual[worstIndex], worstIndex < 0 ? "" : reference[worstIndex]).isEqualTo(-1);
	}

	private static long[] longs(JsonArray a) {
		long[] out = new long[a.size()];
		for (int i = 0; i < out.length; i++) {
			out[i] = a.get(i).getAsLong();
		}
		return out;
	}

	private static int[] ints(JsonArray a) {
		int[] out = new int[a.size()];
		for (int i = 0; i < out.length; i++) {
			out[i] = a.get(i).getAsInt();
		}
		return out;
	}

	private static double[] doubles(JsonArray a) {
		double[] out = new double[a.size()];
		for (int i = 0; i < out.length; i++) {
			out[i] = a.get(i).getAsDouble();
		}
		return out;
	}

	private static float[] toFloats(double[] d) {
		float[] out = new float[d.length];
		for (int i = 0; i < d.length; i++) {
			out[i] = (float) d[i];
		}
		return out;
	}

}
