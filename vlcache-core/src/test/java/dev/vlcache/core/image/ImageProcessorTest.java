package dev.vlcache.core.image;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

import dev.vlcache.core.config.PreprocessorConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageProcessorTest {

	private static RgbImage solid(int w, int h, int r, int g, int b) {
		int[][] planes = new int[3][w * h];
		java.util.Arrays.fill(planes[0], r);
		java.util.Arrays.fill(planes[1], g);
		java.util.Arrays.fill(planes[2], b);
		return new RgbImage(w, h, planes);
	}

	private static ImageProcessor processor(JsonObject json, String source) {
		return new ImageProcessor(PreprocessorConfig.fromJson(json, source));
	}

	@Test
	void siglipResizesToExactSizeAndNormalisesToMinusOneOne() {
		ImageProcessor p = processor(JsonParser.parseString(
				"{\"image_processor_type\":\"SiglipImageProcessor\",\"size\":{\"height\":8,\"width\":8},\"resample\":3}")
			.getAsJsonObject(), "test");
		float[] out = p.preprocess(solid(30, 10, 255, 0, 51));
		assertThat(out).hasSize(3 * 8 * 8);
		assertThat(out[0]).isEqualTo(1.0f);
		assertThat(out[64]).isEqualTo(-1.0f);
		assertThat(out[128]).isCloseTo(51 / 255f * 2 - 1, org.assertj.core.data.Offset.offset(1e-6f));
		assertThat(p.outputSize()).containsExactly(8, 8);
	}

	@Test
	void clipDefaultsApplyToOmittedFields() {
		ImageProcessor p = processor(JsonParser.parseString("{\"image_processor_type\":\"CLIPImageProcessor\"}")
			.getAsJsonObject(), "test");
		assertThat(p.config().resizeShortestEdge()).isEqualTo(224);
		assertThat(p.outputSize()).containsExactly(224, 224);
		assertThat(p.config().mean()[0]).isEqualTo(0.48145466);
	}

	@Test
	void shortestEdgeResizeKeepsAspectAndCentreCrops() {
		ImageProcessor p = processor(JsonParser.parseString(
				"{\"size\":{\"shortest_edge\":4},\"crop_size\":{\"height\":4,\"width\":4},\"do_normalize\":false}")
			.getAsJsonObject(), "test");
		// left half black, right half white: the crop of the resized 8x4 image is the middle, half and half
		int[][] planes = new int[3][16 * 8];
		for (int c = 0; c < 3; c++) {
			for (int y = 0; y < 8; y++) {
				for (int x = 8; x < 16; x++) {
					planes[c][y * 16 + x] = 255;
				}
			}
		}
		float[] out = p.preprocess(new RgbImage(16, 8, planes));
		assertThat(out).hasSize(48);
		assertThat(out[0]).isLessThan(0.1f);
		assertThat(out[3]).isGreaterThan(0.9f);
	}

	@Test
	void bicubicDownscaleAntialiasesAndUpscaleInterpolates() {
		int[][] stripes = new int[3][8];
		for (int x = 0; x < 8; x++) {
			stripes[0][x] = x % 2 == 0 ? 0 : 255;
		}
		RgbImage down = BicubicResampler.resize(new RgbImage(8, 1, stripes), 2, 1);
		// a 4x reduction averages the stripes instead of picking one of them
		assertThat(down.planes()[0][0]).isBetween(100, 155);
		RgbImage up = BicubicResampler.resize(new RgbImage(2, 1, new int[][] { { 0, 255 }, { 0, 0 }, { 0, 0 } }), 4, 1);
		assertThat(up.planes()[0]).isSorted();
		assertThat(up.planes()[0][0]).isZero();
		assertThat(up.planes()[0][3]).isEqualTo(255);
	}

	@Test
	void unsupportedProcessorsAreNamed() {
		assertThatThrownBy(() -> PreprocessorConfig.fromJson(JsonParser.parseString(
				"{\"image_processor_type\":\"Idefics3ImageProcessor\"}").getAsJsonObject(), "cfg.json"))
			.hasMessageContaining("Idefics3ImageProcessor").hasMessageContaining("supported: CLIPImageProcessor");
		assertThatThrownBy(() -> PreprocessorConfig.fromJson(JsonParser.parseString("{\"resample\":2}").getAsJsonObject(),
				"cfg.json")).hasMessageContaining("resample 2");
	}

}
