package dev.vlcache.core.family.llavanext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vlcache.core.Fixtures;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
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
import static org.assertj.core.api.Assertions.within;

/** The any-resolution geometry beyond the fixture's two images, OneVision's downsampling and its bilinear resize. */
class AnyResolutionTest {

	/** llava-v1.6's real grid: 336-pixel tiles of a CLIP ViT-L/14 (24 x 24 features per tile). */
	private static final AnyResolution LLAVA_16 = new AnyResolution(List.of(new int[] { 336, 672 },
			new int[] { 672, 336 }, new int[] { 672, 672 }, new int[] { 1008, 336 }, new int[] { 336, 1008 }), 336, 24, 0);

	@Test
	void llava16TokenCountsFollowTheProcessorsFormula() {
		// HF LlavaNextProcessor._get_number_of_features, worked by hand: a 640 x 480 landscape image fits 672 x 672;
		// its 48 x 48 grid keeps 36 rows ((48 - 36) / 2 = 6 cut top and bottom), + 36 newlines + 576 base features.
		assertThat(LLAVA_16.bestResolution(480, 640)).containsExactly(672, 672);
		assertThat(LLAVA_16.unpadded(480, 640)).containsExactly(36, 48);
		assertThat(LLAVA_16.tokens(480, 640)).isEqualTo(576 + 36 * 49);
		// A tall 300 x 1000 image: 1008 x 336 (3 x 1 tiles), 72 x 24 grid, columns cut to 22.
		assertThat(LLAVA_16.bestResolution(1000, 300)).containsExactly(1008, 336);
		assertThat(LLAVA_16.unpadded(1000, 300)).containsExactly(72, 22);
		assertThat(LLAVA_16.tokens(1000, 300)).isEqualTo(576 + 72 * 23);
	}

	@Test
	void oneVisionDownsamplesGridsLargerThanItsLimit() {
		// SigLIP 384 / 14 = 27 features per side, anyres_max_9: a 2 x 2 grid of 54 x 54 is under 9 tiles, kept whole;
		// with a limit of 1 tile, ratio = sqrt(54 * 54 / 729) = 2 and the map halves to 27 x 27.
		AnyResolution nine = new AnyResolution(List.of(new int[] { 768, 768 }), 384, 27, 9);
		AnyResolution one = new AnyResolution(List.of(new int[] { 768, 768 }), 384, 27, 1);
		assertThat(nine.gridFeatures(768, 768)).containsExactly(54, 54);
		assertThat(one.downsampleRatio(one.unpadded(768, 768))).isEqualTo(2.0);
		assertThat(one.gridFeatures(768, 768)).containsExactly(27, 27);
		assertThat(one.tokens(768, 768)).isEqualTo(729 + 27 * 28);
	}

	@Test
	void bilinearMatchesTorchWithoutAlignedCorners() {
		try (NDManager m = NDManager.newBaseManager("PyTorch")) {
			// 4 x 4 to 2 x 2: every output samples the middle of a 2 x 2 block, its mean.
			NDArray in = m.arange(16f).reshape(1, 4, 4);
			assertThat(Bilinear.resize(in, 2, 2).toFloatArray()).containsExactly(2.5f, 4.5f, 10.5f, 12.5f);
			// 1 x 3 to 1 x 2: sources at x = 0.25 and 1.75 (clamped at the edge: 0.5 * 1.5 - 0.5).
			NDArray row = m.create(new float[] { 0, 10, 20 }, new Shape(1, 1, 3));
			float[] out = Bilinear.resize(row, 1, 2).toFloatArray();
			assertThat(out[0]).isCloseTo(2.5f, within(1e-6f));
			assertThat(out[1]).isCloseTo(17.5f, within(1e-6f));
		}
	}

	/**
	 * A OneVision checkpoint made from the LLaVA-NeXT fixture (its weights, {@code anyres_max_1}): every image is
	 * downsampled, and a whole request runs, which it only does when the token count the processor announced is
	 * the count of features the encoder produced.
	 */
	@Test
	void aOneVisionCheckpointServesRequestsWithDownsampledGrids(@TempDir Path dir) throws IOException {
		Path folder = Fixtures.copy(Fixtures.inRepository("llava-next-tiny-clip-mistral"), dir);
		JsonObject config = JsonParser.parseString(Files.readString(folder.resolve("config.json"))).getAsJsonObject();
		config.addProperty("model_type", "llava_onevision");
		config.addProperty("vision_aspect_ratio", "anyres_max_1");
		Files.writeString(folder.resolve("config.json"), config.toString());
		JsonObject pre = JsonParser.parseString(Files.readString(folder.resolve("preprocessor_config.json")))
			.getAsJsonObject();
		pre.addProperty("image_processor_type", "LlavaOnevisionImageProcessor");
		JsonObject size = new JsonObject();
		size.addProperty("height", 56);
		size.addProperty("width", 56);
		pre.add("size", size);
		pre.remove("crop_size");
		pre.addProperty("do_center_crop", false);
		Files.writeString(folder.resolve("preprocessor_config.json"), pre.toString());
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"))) {
			assertThat(model.config().modelType()).isEqualTo("llava_onevision");
			byte[] wide = Files.readAllBytes(folder.resolve("image0.png"));
			byte[] tall = Files.readAllBytes(folder.resolve("image1.png"));
			List<PreparedImage> images = model.prepareImages(
					List.of(ImageDecoder.decode(wide, "image0.png"), ImageDecoder.decode(tall, "image1.png")));
			// 42 x 114: a 4 x 10 map, ratio sqrt(40 / 16) = 1.58 -> 2 x 6, + 2 newlines + 16 base features.
			assertThat(images.get(0).tokens()).isEqualTo(16 + 2 * 7);
			int before = model.liveArrayCount();
			GenerationResult result = new Generator(model).generate(new GenerationRequest(
					List.of(ChatMessage.user("which shape is on the left ?", 2)),
					List.of(new ImageInput("image0.png", wide), new ImageInput("image1.png", tall)),
					SamplingOptions.builder().maxNewTokens(4).stopOnEos(false).build(), CompressionOptions.DEFAULT_VL_CACHE));
			assertThat(result.tokenIds()).hasSize(4);
			assertThat(result.compression().imageTokens())
				.isEqualTo(images.get(0).tokens() + images.get(1).tokens());
			assertThat(model.liveArrayCount()).isEqualTo(before);
		}
	}

}
