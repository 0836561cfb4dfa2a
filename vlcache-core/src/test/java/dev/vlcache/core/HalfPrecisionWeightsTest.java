package dev.vlcache.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.generation.GenerationRequest;
import dev.vlcache.core.generation.Generator;
import dev.vlcache.core.generation.ImageInput;
import dev.vlcache.core.generation.SamplingOptions;
import dev.vlcache.core.image.ImageDecoder;
import dev.vlcache.core.image.RgbImage;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.text.AttentionObserver;
import dev.vlcache.core.tokenizer.EncodedPrompt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code weights: float16}: the decoder's matrices stored in half precision beside float32 activations, on every
 * fixture. The stated tolerance: prompt logits within 1e-2 + 1e-2 |float32 logit| of the float32 model's (a float16
 * weight carries a relative rounding of up to 4.9e-4), and the same greedy answer as the reference.
 */
class HalfPrecisionWeightsTest {

	static Stream<Arguments> fixtures() {
		return Fixtures.folders().stream().map(f -> Arguments.of(f.getFileName().toString(), f));
	}

	private static JsonObject expected(Path folder) throws IOException {
		return JsonParser.parseString(Files.readString(folder.resolve("expected.json"))).getAsJsonObject();
	}

	private static List<ChatMessage> messages(JsonObject expected) {
		List<ChatMessage> messages = new ArrayList<>();
		if (expected.has("system_text")) {
			messages.add(ChatMessage.system(expected.get("system_text").getAsString()));
		}
		messages.add(ChatMessage.user(expected.get("messages_text").getAsString(), expected.getAsJsonArray("images").size()));
		return messages;
	}

	private static List<ImageInput> images(Path folder, JsonObject expected) throws IOException {
		List<ImageInput> images = new ArrayList<>();
		for (JsonElement name : expected.getAsJsonArray("images")) {
			images.add(new ImageInput(name.getAsString(), Files.readAllBytes(folder.resolve(name.getAsString()))));
		}
		return images;
	}

	/** The last prompt row's logits, the prompt prefilled at once (more rows than the half-precision products take). */
	private static float[] promptLogits(LlavaModel model, List<ChatMessage> messages, List<ImageInput> inputs) {
		List<RgbImage> rgb = new ArrayList<>();
		for (ImageInput i : inputs) {
			rgb.add(ImageDecoder.decode(i.bytes(), i.name()));
		}
		List<PreparedImage> prepared = model.prepareImages(rgb);
		EncodedPrompt prompt = model.encodePrompt(messages, prepared, true, 1);
		try (NDManager scope = model.newRequestManager()) {
			KvCache cache = model.newCache(scope, prompt.length() + 1);
			NDArray embeddings = model.promptEmbeddings(scope, prompt, prepared);
			return model.forward(scope, embeddings, cache, 0, AttentionObserver.NONE, false, prompt.positions())
				.toFloatArray();
		}
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("fixtures")
	void halfPrecisionMatricesAnswerAsTheReferenceWithinTheStatedTolerance(String name, Path folder)
			throws IOException {
		JsonObject expected = expected(folder);
		List<ChatMessage> messages = messages(expected);
		List<ImageInput> images = images(folder, expected);
		long[] reference = expected.getAsJsonArray("greedy_tokens_full_cache")
			.asList()
			.stream()
			.mapToLong(JsonElement::getAsLong)
			.toArray();
		float[] full;
		long fullBytes;
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"))) {
			full = promptLogits(model, messages, images);
			fullBytes = model.decoderWeightBytes();
		}
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32").withWeights("float16"))) {
			assertThat(model.weightsName()).isEqualTo("float16");
			// Norm weights and biases stay float32; the matrices are nearly everything.
			assertThat(model.decoderWeightBytes()).isLessThan(fullBytes * 52 / 100);
			float[] half = promptLogits(model, messages, images);
			double worst = 0;
			for (int i = 0; i < full.length; i++) {
				double diff = Math.abs(half[i] - full[i]);
				worst = Math.max(worst, diff);
				assertThat(diff).as("logit %d", i).isLessThanOrEqualTo(1e-2 + 1e-2 * Math.abs(full[i]));
			}
			System.out.printf(java.util.Locale.ROOT, "%s: float16 matrices, prompt logits max abs diff %.3g%n", name,
					worst);
			int before = model.liveArrayCount();
			int[] tokens = new Generator(model).generate(new GenerationRequest(messages, images,
					SamplingOptions.builder().maxNewTokens(reference.length).stopOnEos(false).build(),
					CompressionOptions.FULL)).tokenIds();
			assertThat(Arrays.stream(tokens).asLongStream().toArray()).containsExactly(reference);
			assertThat(model.liveArrayCount()).as("arrays left by a request").isEqualTo(before);
		}
	}

	@Test
	void onlyFloat32AndFloat16AreWeightStorages() {
		assertThatThrownBy(() -> ModelOptions.DEFAULT.withWeights("int8")).isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("weights 'int8' is not valid; expected float32 or float16");
		assertThat(ModelOptions.DEFAULT.weights()).isEqualTo("float32");
	}

}
