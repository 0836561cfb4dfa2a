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
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
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
import dev.vlcache.core.family.PreparedImage;
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
				DynamicTest.dynamicTest("token ids, image token counts, processor outputs, positions", f::tokenIds),
				DynamicTest.dynamicTest("own preprocessing", f::preprocessing),
				DynamicTest.dynamicTest("prompt logits", f::promptLogits),
				DynamicTest.dynamicTest("step logits and greedy tokens (full cache)", f::stepLogitsAndGreedy),
				DynamicTest.dynamicTest("vl-cache sparsity, scores, budgets, kept positions, cache lengths, greedy tokens and step logits", f::vlCache)));
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

		private List<PreparedImage> images() {
			JsonArray names = this.expected.getAsJsonArray("images");
			List<RgbImage> rgb = new ArrayList<>();
			for (JsonElement name : names) {
				try {
					byte[] bytes = Files.readAllBytes(this.folder.resolve(name.getAsString()));
					rgb.add(ImageDecoder.decode(bytes, name.getAsString()));
				}
				catch (IOException ex) {
					throw new IllegalStateException(ex);
				}
			}
			return this.model.prepareImages(rgb);
		}

		/** The same images with the reference pixel values, sliced per image from the family's layout. */
		private List<PreparedImage> referenceImages() {
			TensorEntry entry = this.tensors.get("pixel_values");
			float[] reference = SafetensorsFile.readFloats(entry);
			long[] shape = entry.shape();
			List<PreparedImage> ours = images();
			List<PreparedImage> out = new ArrayList<>();
			int offset = 0;
			for (int i = 0; i < ours.size(); i++) {
				int length = ours.get(i).pixels().length;
				// [images, max_patches, 3, H, W] pads every image to the same patch count; the others are contiguous.
				int start = shape.length == 5 ? (int) (i * (reference.length / shape[0])) : offset;
				float[] mine = new float[length];
				System.arraycopy(reference, start, mine, 0, length);
				out.add(ours.get(i).withPixels(mine));
				offset += length;
			}
			return out;
		}

		private List<ChatMessage> messages() {
			List<ChatMessage> messages = new ArrayList<>();
			if (this.expected.has("system_text")) {
				messages.add(ChatMessage.system(this.expected.get("system_text").getAsString()));
			}
			messages.add(ChatMessage.user(this.expected.get("messages_text").getAsString(),
					this.expected.getAsJsonArray("images").size()));
			return messages;
		}

		private EncodedPrompt encode(List<PreparedImage> images) {
			return this.model.encodePrompt(messages(), images, true, 0);
		}

		void tokenIds() {
			open();
			List<PreparedImage> images = images();
			EncodedPrompt prompt = encode(images);
			assertThat(prompt.renderedPrompt()).isEqualTo(this.expected.get("rendered_prompt").getAsString());
			assertThat(prompt.ids()).containsExactly(longs(this.expected.getAsJsonArray("input_ids")));
			int[] tokens = images.stream().mapToInt(PreparedImage::tokens).toArray();
			if (this.expected.has("image_tokens_per_image")) {
				assertThat(tokens).as("image tokens per image")
					.containsOnly(this.expected.get("image_tokens_per_image").getAsInt());
			}
			if (this.expected.has("image_tokens")) {
				assertThat(tokens).as("image tokens").containsExactly(ints(this.expected.getAsJsonArray("image_tokens")));
			}
			for (String key : List.of("image_sizes", "image_num_patches", "image_grid_thw")) {
				if (!this.expected.has(key)) {
					continue;
				}
				JsonArray reference = this.expected.getAsJsonArray(key);
				for (int i = 0; i < images.size(); i++) {
					List<Integer> ours = images.get(i).processorOutputs().get(key);
					assertThat(ours).as("%s of image %d", key, i).isNotNull();
					JsonElement ref = reference.get(i);
					int[] refValues = ref.isJsonArray() ? ints(ref.getAsJsonArray()) : new int[] { ref.getAsInt() };
					assertThat(ours).as("%s of image %d", key, i).containsExactly(java.util.Arrays.stream(refValues).boxed()
						.toArray(Integer[]::new));
				}
			}
			if (this.expected.has("position_ids")) {
				JsonArray streams = this.expected.getAsJsonArray("position_ids");
				for (int stream = 0; stream < streams.size(); stream++) {
					long[] ref = longs(streams.get(stream).getAsJsonArray());
					long[] ours = new long[prompt.length()];
					for (int i = 0; i < ours.length; i++) {
						ours[i] = prompt.positions().position(stream, i);
					}
					assertThat(ours).as("position_ids[%d]", stream).containsExactly(ref);
				}
			}
			if (this.expected.has("rope_deltas")) {
				long delta = this.expected.get("rope_deltas").getAsLong();
				for (int stream = 0; stream < 3; stream++) {
					for (int step = 0; step < 3; step++) {
						assertThat(prompt.positions().position(stream, prompt.length() + step))
							.as("decoding step %d, stream %d", step, stream)
							.isEqualTo(prompt.length() + step + delta);
					}
				}
			}
		}

		void preprocessing() {
			open();
			float[] reference = SafetensorsFile.readFloats(this.tensors.get("pixel_values"));
			List<PreparedImage> ours = images();
			List<PreparedImage> refs = referenceImages();
			double sum = 0;
			long count = 0;
			for (int i = 0; i < ours.size(); i++) {
				float[] a = ours.get(i).pixels();
				float[] b = refs.get(i).pixels();
				for (int k = 0; k < a.length; k++) {
					sum += Math.abs(a[k] - b[k]);
				}
				count += a.length;
			}
			long expectedCount = reference.length;
			TensorEntry entry = this.tensors.get("pixel_values");
			if (entry.shape().length == 5) {
				// Rows past each image's patch count are the batch's zero padding.
				long perPatch = reference.length / (entry.shape()[0] * entry.shape()[1]);
				expectedCount = 0;
				for (JsonElement n : this.expected.getAsJsonArray("image_num_patches")) {
					expectedCount += n.getAsLong() * perPatch;
				}
			}
			assertThat(count).as("preprocessed element count").isEqualTo(expectedCount);
			assertThat(sum / count).as("mean abs diff of pixel values").isLessThanOrEqualTo(0.02);
		}

		void promptLogits() {
			open();
			float[] reference = SafetensorsFile.readFloats(this.tensors.get("prompt_logits"));
			try (NDManager scope = this.model.newRequestManager()) {
				List<PreparedImage> images = referenceImages();
				EncodedPrompt prompt = encode(images);
				KvCache cache = this.model.newCache(scope, prompt.length() + 16);
				NDArray logits = prefill(scope, prompt, images, cache, AttentionObserver.NONE, true);
				assertClose("prompt logits", logits.toFloatArray(), reference);
			}
		}

		void stepLogitsAndGreedy() {
			open();
			long[] greedyRef = longs(this.expected.getAsJsonArray("greedy_tokens_full_cache"));
			try (NDManager scope = this.model.newRequestManager()) {
				List<PreparedImage> images = referenceImages();
				EncodedPrompt prompt = encode(images);
				KvCache cache = this.model.newCache(scope, prompt.length() + greedyRef.length);
				float[] last = prefill(scope, prompt, images, cache, AttentionObserver.NONE, false).toFloatArray();
				long[] greedy = decode(scope, prompt, cache, last, greedyRef, "step_logits");
				assertThat(greedy).as("greedy tokens with the full cache").containsExactly(greedyRef);
			}
		}

		/**
		 * Decodes greedily from {@code last}; where {@code logitsTensor} is given, each step feeds the reference
		 * token (so that the logits stay comparable after a mismatch) and checks that step's logits.
		 */
		private long[] decode(NDManager scope, EncodedPrompt prompt, KvCache cache, float[] last, long[] greedyRef,
				String logitsTensor) {
			TensorEntry stepEntry = this.tensors.get(logitsTensor);
			float[] stepRef = stepEntry == null ? null : SafetensorsFile.readFloats(stepEntry);
			int vocab = stepEntry == null ? 0 : (int) stepEntry.shape()[1];
			long[] greedy = new long[greedyRef.length];
			greedy[0] = Sampler.argmax(last);
			for (int i = 0; i < greedyRef.length; i++) {
				long fed = stepRef != null ? greedyRef[i] : greedy[i];
				float[] logits = step(scope, cache, fed, prompt, i);
				if (stepRef != null) {
					float[] ref = new float[vocab];
					System.arraycopy(stepRef, i * vocab, ref, 0, vocab);
					assertClose(logitsTensor + " row " + i, logits, ref);
				}
				if (i + 1 < greedy.length) {
					greedy[i + 1] = Sampler.argmax(logits);
				}
			}
			return greedy;
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
				List<PreparedImage> images = referenceImages();
				EncodedPrompt prompt = encode(images);
				KvCache cache = this.model.newCache(scope, prompt.length());
				CompressionRun run = CompressionPolicies.get("vl-cache").begin(prompt.layout(), options,
						this.model.numLayers());
				float[] last = prefill(scope, prompt, images, cache, run, false).toFloatArray();
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
				if (vl.has("kept_positions")) {
					JsonArray kept = vl.getAsJsonArray("kept_positions");
					for (int l = 0; l < kept.size(); l++) {
						assertThat(cache.layer(l).positions()).as("layer %d kept positions", l)
							.containsExactly(ints(kept.get(l).getAsJsonArray()));
					}
				}
				long[] greedy = decode(scope, prompt, cache, last, greedyRef, "vlcache_step_logits");
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

		private NDArray prefill(NDManager scope, EncodedPrompt prompt, List<PreparedImage> images, KvCache cache,
				AttentionObserver observer, boolean allRows) {
			NDArray embeddings = this.model.promptEmbeddings(scope, prompt, images);
			return this.model.forward(scope, embeddings, cache, 0, observer, allRows, prompt.positions());
		}

		/** Feeds {@code token}, the {@code step}-th token after the prompt. */
		private float[] step(NDManager scope, KvCache cache, long token, EncodedPrompt prompt, int step) {
			try (NDManager stepScope = scope.newSubManager()) {
				NDArray embedding = this.model.embedTokens(stepScope, token);
				return this.model
					.forward(stepScope, embedding, cache, prompt.length() + step, AttentionObserver.NONE, false,
							prompt.positions())
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
