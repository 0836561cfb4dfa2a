package dev.vlcache.core;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.generation.GenerationRequest;
import dev.vlcache.core.generation.GenerationResult;
import dev.vlcache.core.generation.Generator;
import dev.vlcache.core.generation.ImageInput;
import dev.vlcache.core.generation.SamplingOptions;
import dev.vlcache.core.image.ImageDecoder;
import dev.vlcache.core.template.ChatMessage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Whole requests of every family through {@link Generator} (image decoding, the family's processor and encoder,
 * its positions, prefill, compression, decoding), and the family-specific bad inputs, on the parity fixtures.
 */
class FamiliesEndToEndTest {

	static Stream<Arguments> fixtures() {
		return Fixtures.folders().stream().map(f -> Arguments.of(f.getFileName().toString(), f));
	}

	private static JsonObject expected(Path folder) throws IOException {
		return JsonParser.parseString(Files.readString(folder.resolve("expected.json"))).getAsJsonObject();
	}

	private static GenerationRequest request(Path folder, JsonObject expected, int tokens, CompressionOptions compression)
			throws IOException {
		List<ChatMessage> messages = new ArrayList<>();
		if (expected.has("system_text")) {
			messages.add(ChatMessage.system(expected.get("system_text").getAsString()));
		}
		JsonArray names = expected.getAsJsonArray("images");
		messages.add(ChatMessage.user(expected.get("messages_text").getAsString(), names.size()));
		List<ImageInput> images = new ArrayList<>();
		for (JsonElement name : names) {
			images.add(new ImageInput(name.getAsString(), Files.readAllBytes(folder.resolve(name.getAsString()))));
		}
		return new GenerationRequest(messages, images,
				SamplingOptions.builder().maxNewTokens(tokens).stopOnEos(false).build(), compression);
	}

	/** Greedy answers from our own preprocessing equal the reference's, whose pixels differ by rounding only. */
	@ParameterizedTest(name = "{0}")
	@MethodSource("fixtures")
	void everyFamilyAnswersAsTheReferenceWithTheFullCache(String name, Path folder) throws IOException {
		JsonObject expected = expected(folder);
		long[] reference = longs(expected.getAsJsonArray("greedy_tokens_full_cache"));
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"))) {
			int before = model.liveArrayCount();
			GenerationResult result = new Generator(model)
				.generate(request(folder, expected, reference.length, CompressionOptions.FULL));
			assertThat(java.util.Arrays.stream(result.tokenIds()).asLongStream().toArray()).containsExactly(reference);
			assertThat(result.promptTokens()).isEqualTo(expected.getAsJsonArray("input_ids").size());
			assertThat(model.liveArrayCount()).as("arrays left by the request").isEqualTo(before);
		}
	}

	@Test
	void qwen2VlRefusesImagesItsProcessorCannotTake() throws IOException {
		try (LlavaModel model = LlavaModel.load(Fixtures.inRepository("qwen2-vl-tiny"), ModelOptions.DEFAULT)) {
			assertThatThrownBy(() -> model.prepareImages(List.of(ImageDecoder.decode(png(20, 100), "small.png"))))
				.isInstanceOf(IllegalArgumentException.class)
				.hasMessageContaining("image 1 is 20x100 pixels")
				.hasMessageContaining("at least 28");
			assertThatThrownBy(() -> model.prepareImages(List.of(ImageDecoder.decode(png(6000, 29), "strip.png"))))
				.hasMessageContaining("aspect ratios above 200:1");
			List<PreparedImage> ok = model.prepareImages(List.of(ImageDecoder.decode(png(400, 240), "ok.png")));
			assertThat(ok.get(0).tokens()).isEqualTo(84);
			assertThat(ok.get(0).processorOutputs().get("image_grid_thw")).containsExactly(1, 14, 24);
		}
	}

	@Test
	void imagesThatOverflowTheContextAreRefusedWithEachImagesTokens() throws IOException {
		try (LlavaModel model = LlavaModel.load(Fixtures.inRepository("qwen2-vl-tiny"), ModelOptions.DEFAULT)) {
			// 13 images of 84 tokens pass the 1024-token context.
			List<PreparedImage> images = new ArrayList<>();
			for (int i = 0; i < 13; i++) {
				images.add(model.prepareImages(List.of(ImageDecoder.decode(png(400, 240), "i.png"))).get(0));
			}
			assertThatThrownBy(() -> model.encodePrompt(List.of(ChatMessage.user("what ?", 13)), images, true, 1))
				.isInstanceOf(IllegalArgumentException.class)
				.hasMessageContaining("1092 of them image tokens: image 1 84")
				.hasMessageContaining("context length of 1024");
		}
	}

	@Test
	void llavaNextRefusesAnImageTooElongatedForItsGrids() throws IOException {
		try (LlavaModel model = LlavaModel.load(Fixtures.inRepository("llava-next-tiny-clip-mistral"),
				ModelOptions.DEFAULT)) {
			assertThatThrownBy(() -> model.prepareImages(List.of(ImageDecoder.decode(png(3000, 3), "strip.png"))))
				.isInstanceOf(IllegalArgumentException.class)
				.hasMessageContaining("image 1 (3000x3) is too elongated");
			List<PreparedImage> wide = model.prepareImages(List.of(ImageDecoder.decode(png(114, 42), "wide.png")));
			assertThat(wide.get(0).tokens()).isEqualTo(60);
			assertThat(wide.get(0).processorOutputs().get("image_num_patches")).containsExactly(4);
		}
	}

	@Test
	void aTensorOfTheWrongShapeIsNamedWithTheShapeExpected(@TempDir Path dir) throws IOException {
		Path folder = Fixtures.copy(Fixtures.inRepository("qwen2-vl-tiny"), dir);
		JsonObject config = JsonParser.parseString(Files.readString(folder.resolve("config.json"))).getAsJsonObject();
		config.getAsJsonObject("vision_config").addProperty("mlp_ratio", 4);
		Files.writeString(folder.resolve("config.json"), config.toString());
		assertThatThrownBy(() -> LlavaModel.load(folder, ModelOptions.DEFAULT)).isInstanceOf(CheckpointException.class)
			.hasMessageContaining("visual.blocks.0.mlp.fc1.weight")
			.hasMessageContaining("[128, 32]");
	}

	@Test
	void unknownModelTypesAndUnsupportedOptionsAreRefusedNamingWhatIsSupported(@TempDir Path dir) throws IOException {
		Path folder = Fixtures.copy(Fixtures.inRepository("qwen2-vl-tiny"), dir.resolve("a"));
		JsonObject config = JsonParser.parseString(Files.readString(folder.resolve("config.json"))).getAsJsonObject();
		config.addProperty("model_type", "qwen2_5_vl");
		Files.writeString(folder.resolve("config.json"), config.toString());
		assertThatThrownBy(() -> LlavaModel.load(folder, ModelOptions.DEFAULT)).isInstanceOf(CheckpointException.class)
			.hasMessageContaining("Unsupported model_type 'qwen2_5_vl'")
			.hasMessageContaining("supported: llava, llava_next, llava_onevision, qwen2_vl");
		Path next = Fixtures.copy(Fixtures.inRepository("llava-next-tiny-clip-mistral"), dir.resolve("b"));
		JsonObject nextConfig = JsonParser.parseString(Files.readString(next.resolve("config.json"))).getAsJsonObject();
		nextConfig.addProperty("model_type", "llava_onevision");
		nextConfig.addProperty("vision_aspect_ratio", "pad");
		Files.writeString(next.resolve("config.json"), nextConfig.toString());
		JsonObject pre = JsonParser.parseString(Files.readString(next.resolve("preprocessor_config.json"))).getAsJsonObject();
		pre.addProperty("image_processor_type", "LlavaOnevisionImageProcessor");
		Files.writeString(next.resolve("preprocessor_config.json"), pre.toString());
		assertThatThrownBy(() -> LlavaModel.load(next, ModelOptions.DEFAULT)).isInstanceOf(CheckpointException.class)
			.hasMessageContaining("vision_aspect_ratio 'pad'")
			.hasMessageContaining("supported: anyres_max_N");
	}

	static byte[] png(int width, int height) throws IOException {
		BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
		for (int y = 0; y < height; y++) {
			for (int x = 0; x < width; x++) {
				image.setRGB(x, y, (x * 7 + y * 13) * 0x010203 & 0xFFFFFF);
			}
		}
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ImageIO.write(image, "png", out);
		return out.toByteArray();
	}

	private static long[] longs(JsonArray a) {
		long[] out = new long[a.size()];
		for (int i = 0; i < out.length; i++) {
			out[i] = a.get(i).getAsLong();
		}
		return out;
	}

}
