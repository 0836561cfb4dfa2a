package dev.vlcache.benchmark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

/**
 * Each family's synthetic checkpoint, with a small decoder, loads through the ordinary loader, gives the harness's
 * 400 x 300 image the real family's token count, and serves a compressed request.
 */
class SyntheticCheckpointTest {

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "llava, qwen2, 576", "llava_next, mistral, 1368", "qwen2_vl, qwen2, 154" })
	void everyFamilysShapeLoadsAndServes(String family, String decoder, int tokensPerImage, @TempDir Path dir)
			throws IOException {
		SyntheticCheckpoint small = new SyntheticCheckpoint(family, "small-" + family, decoder, 64, 128, 2, 4, 2, 400,
				family.equals("qwen2_vl"));
		try (LlavaModel model = LlavaModel.load(small.write(dir), new ModelOptions("cpu", "float32"))) {
			assertThat(model.config().modelType()).isEqualTo(family);
			byte[] png = BenchmarkHarness.randomPng(1);
			List<PreparedImage> images = model.prepareImages(List.of(ImageDecoder.decode(png, "random.png")));
			assertThat(images.get(0).tokens()).isEqualTo(tokensPerImage);
			GenerationResult result = new Generator(model).generate(new GenerationRequest(
					List.of(ChatMessage.user("w5 w6 w7", 1)), List.of(new ImageInput("random.png", png)),
					SamplingOptions.builder().maxNewTokens(3).stopOnEos(false).build(),
					CompressionOptions.builder().budgetRatio(0.1).build()));
			assertThat(result.tokenIds()).hasSize(3);
			assertThat(result.compression().imageTokens()).isEqualTo(tokensPerImage);
			assertThat(result.compression().kvBytesAfter()).isLessThan(result.compression().kvBytesBefore() / 5);
		}
	}

}
