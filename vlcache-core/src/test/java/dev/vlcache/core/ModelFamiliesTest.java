package dev.vlcache.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.checkpoint.SafetensorsFile;
import dev.vlcache.core.checkpoint.TensorEntry;
import dev.vlcache.core.image.RgbImage;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.text.AttentionObserver;
import dev.vlcache.core.tokenizer.EncodedPrompt;
import dev.vlcache.testsupport.SafetensorsWriter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every supported tower and decoder on random checkpoints: decoding through the KV cache must give the logits a
 * fresh prefill of the same sequence gives, and images must land on their own placeholders.
 */
class ModelFamiliesTest {

	private static RgbImage image(int seed) {
		java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
		int[][] planes = new int[3][40 * 36];
		for (int[] p : planes) {
			for (int i = 0; i < p.length; i++) {
				p[i] = r.nextInt(256);
			}
		}
		return new RgbImage(40, 36, planes);
	}

	private static float[] lastLogits(LlavaModel model, NDManager scope, long[] extra, List<RgbImage> images) {
		EncodedPrompt prompt = model.promptEncoder().encode(List.of(ChatMessage.user("what color is the circle ?", images.size())),
				true, 0);
		KvCache cache = model.newCache(scope, prompt.length() + extra.length);
		NDArray features = images.isEmpty() ? null : model.imageFeatures(model.pixelValues(scope, images));
		NDArray embeddings = model.inputEmbeddings(scope, prompt, features);
		if (extra.length > 0) {
			embeddings = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(embeddings, model.embedTokens(scope, extra)), 0);
		}
		return model.forward(scope, embeddings, cache, 0, AttentionObserver.NONE, false).toFloatArray();
	}

	/** Prefills the prompt into {@code cache}, then feeds {@code continuation} one token at a time. */
	private static float[] decodeThroughCache(LlavaModel model, NDManager scope, KvCache cache, EncodedPrompt prompt,
			List<RgbImage> images, long[] continuation) {
		NDArray features = model.imageFeatures(model.pixelValues(scope, images));
		model.forward(scope, model.inputEmbeddings(scope, prompt, features), cache, 0, AttentionObserver.NONE, false);
		float[] step = new float[0];
		for (int i = 0; i < continuation.length; i++) {
			step = model.forward(scope, model.embedTokens(scope, continuation[i]), cache, prompt.length() + i,
					AttentionObserver.NONE, false).toFloatArray();
		}
		return step;
	}

	private static void assertSameLogits(float[] actual, float[] expected) {
		assertThat(actual).hasSameSizeAs(expected);
		for (int i = 0; i < expected.length; i++) {
			assertThat((double) actual[i]).as("logit %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4));
		}
	}

	@ParameterizedTest(name = "{0} + {1}")
	@CsvSource({ "llama, clip_vision_model", "qwen2, siglip_vision_model", "mistral, clip_vision_model",
			"qwen2, clip_vision_model", "llama, siglip_vision_model" })
	void decodingThroughTheCacheEqualsAFreshPrefill(String decoder, String tower, @TempDir Path dir) throws IOException {
		RandomCheckpoint checkpoint = new RandomCheckpoint(decoder, tower);
		if (decoder.equals("mistral")) {
			checkpoint.text("head_dim", 24).text("num_key_value_heads", 1);
		}
		try (LlavaModel model = LlavaModel.load(checkpoint.write(dir), new ModelOptions("cpu", "float32"));
				NDManager scope = model.newRequestManager()) {
			assertThat(model.config().text().family().name().toLowerCase(java.util.Locale.ROOT)).isEqualTo(decoder);
			List<RgbImage> images = List.of(image(1), image(2));
			EncodedPrompt prompt = model.promptEncoder().encode(List.of(ChatMessage.user("what color is the circle ?", 2)),
					true, 0);
			KvCache cache = model.newCache(scope, 4);
			assertThat(model.imageFeatures(model.pixelValues(scope, images)).getShape().get(1))
				.isEqualTo((long) model.config().fixedImageTokens());
			long[] continuation = { 19, 20, 21 };
			float[] step = decodeThroughCache(model, scope, cache, prompt, images, continuation);
			assertSameLogits(step, lastLogits(model, scope, continuation, images));
			assertThat(cache.layer(0).capacity()).as("the cache grew past its initial room").isGreaterThan(4);
		}
	}

	@Test
	void slidingWindowMasksAlikeInPrefillAndDecoding(@TempDir Path dir) throws IOException {
		RandomCheckpoint checkpoint = new RandomCheckpoint("mistral", "clip_vision_model").text("sliding_window", 8);
		try (LlavaModel model = LlavaModel.load(checkpoint.write(dir), new ModelOptions("cpu", "float32"));
				NDManager scope = model.newRequestManager()) {
			assertThat(model.config().text().slidingWindow()).isEqualTo(8);
			List<RgbImage> images = List.of(image(7));
			EncodedPrompt prompt = model.promptEncoder().encode(List.of(ChatMessage.user("what color is the circle ?", 1)),
					true, 0);
			KvCache cache = model.newCache(scope, 4);
			long[] continuation = { 19, 20, 21, 22 };
			float[] step = decodeThroughCache(model, scope, cache, prompt, images, continuation);
			assertSameLogits(step, lastLogits(model, scope, continuation, images));
			// The window masks old entries; the cache still holds all of them.
			assertThat(cache.layer(0).length()).isEqualTo(prompt.length() + continuation.length);
		}
	}

	@Test
	void eachImageReplacesItsOwnPlaceholder(@TempDir Path dir) throws IOException {
		try (LlavaModel model = LlavaModel.load(new RandomCheckpoint("qwen2", "siglip_vision_model").write(dir),
				new ModelOptions("cpu", "float32")); NDManager scope = model.newRequestManager()) {
			float[] ab = lastLogits(model, scope, new long[0], List.of(image(1), image(2)));
			float[] ba = lastLogits(model, scope, new long[0], List.of(image(2), image(1)));
			float[] ab2 = lastLogits(model, scope, new long[0], List.of(image(1), image(2)));
			assertThat(ab2).containsExactly(ab);
			assertThat(ba).isNotEqualTo(ab);
		}
	}

	@Test
	void featureLayerAndStrategyChooseTheTokens(@TempDir Path full, @TempDir Path dflt) throws IOException {
		try (LlavaModel model = LlavaModel.load(new RandomCheckpoint("llama", "siglip_vision_model").write(full),
				ModelOptions.DEFAULT)) {
			assertThat(model.config().fixedImageTokens()).isEqualTo(16);
		}
		try (LlavaModel model = LlavaModel.load(new RandomCheckpoint("llama", "clip_vision_model")
			.root("vision_feature_select_strategy", "default").root("vision_feature_layer", -2).write(dflt),
				ModelOptions.DEFAULT); NDManager scope = model.newRequestManager()) {
			assertThat(model.config().fixedImageTokens()).isEqualTo(16);
			NDArray features = model.imageFeatures(model.pixelValues(scope, List.of(image(3))));
			assertThat(features.getShape().getShape()).containsExactly(1, 16, 64);
		}
	}

	@Test
	void qwen2NeedsItsAttentionBiases(@TempDir Path dir) throws IOException {
		RandomCheckpoint checkpoint = new RandomCheckpoint("qwen2", "siglip_vision_model");
		Path folder = checkpoint.write(dir);
		// Rewrite without biases: a Qwen2 checkpoint without them is broken and must say which tensor is missing.
		List<SafetensorsWriter.Tensor> kept = new ArrayList<>();
		for (TensorEntry e : SafetensorsFile.readEntries(folder.resolve("model.safetensors"))) {
			if (!e.name().endsWith("q_proj.bias") || e.name().startsWith("vision")) {
				kept.add(new SafetensorsWriter.Tensor(e.name(), SafetensorsWriter.DType.valueOf(e.dtype().name()),
						e.shape(), SafetensorsFile.readFloats(e)));
			}
		}
		SafetensorsWriter.write(folder.resolve("model.safetensors"), kept);
		assertThatThrownBy(() -> LlavaModel.load(folder, ModelOptions.DEFAULT)).isInstanceOf(CheckpointException.class)
			.hasMessageContaining("layers.0.self_attn.q_proj.bias");
	}

	@Test
	void morePlaceholdersThanImagesIsRefused(@TempDir Path dir) throws IOException {
		try (LlavaModel model = LlavaModel.load(new RandomCheckpoint("llama", "clip_vision_model").write(dir),
				ModelOptions.DEFAULT)) {
			assertThatThrownBy(() -> model.promptEncoder().encodeRendered("USER: <image>\n<image>\nhi ASSISTANT:", 1, 0))
				.hasMessageContaining("2 image placeholder(s)").hasMessageContaining("1 image(s)");
		}
	}

	@Test
	void chunkedPrefillGivesTheSameLogitsAndCompressionPlan(@TempDir Path dir) throws IOException {
		Path folder = new RandomCheckpoint("llama", "clip_vision_model").write(dir);
		float[][] logits = new float[2][];
		int[][] kept = new int[2][];
		double[] sparsity = new double[2];
		int[] chunkSizes = { 0, 7 };
		for (int run = 0; run < 2; run++) {
			try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32", chunkSizes[run]));
					NDManager scope = model.newRequestManager()) {
				EncodedPrompt prompt = model.promptEncoder().encode(List.of(ChatMessage.user("what color is the circle ?", 2)),
						true, 0);
				KvCache cache = model.newCache(scope, prompt.length());
				NDArray features = model.imageFeatures(model.pixelValues(scope, List.of(image(4), image(5))));
				dev.vlcache.core.compression.CompressionRun plan = dev.vlcache.core.compression.CompressionPolicies
					.get("vl-cache")
					.begin(prompt.layout(), dev.vlcache.core.compression.CompressionOptions.builder()
						.budgetRatio(0.3)
						.scoringWindow(dev.vlcache.core.compression.ScoringWindow.of(12))
						.build(), model.numLayers());
				logits[run] = model.forward(scope, model.inputEmbeddings(scope, prompt, features), cache, 0, plan, true)
					.toFloatArray();
				var p = plan.plan();
				kept[run] = p.kept()[1];
				sparsity[run] = p.sparsity()[1];
			}
		}
		for (int i = 0; i < logits[0].length; i++) {
			assertThat((double) logits[1][i]).isCloseTo(logits[0][i], org.assertj.core.data.Offset.offset(1e-4));
		}
		assertThat(kept[1]).containsExactly(kept[0]);
		assertThat(sparsity[1]).isCloseTo(sparsity[0], org.assertj.core.data.Offset.offset(1e-9));
	}

}
