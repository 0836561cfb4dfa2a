package dev.vlcache.demo.training;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vlcache.testsupport.SafetensorsWriter;
import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.core.template.ChatTemplate;
import dev.vlcache.core.tokenizer.PromptEncoder;
import dev.vlcache.core.tokenizer.TextTokenizer;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.TaskGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class LogitLensTest {

	@Test
	void theLastReadingIsTheModelsOwnAndLoadingRestoresTheWeights(@TempDir Path dir) throws Exception {
		TrainerTest.SMALL.writeFiles(dir);
		LlavaConfig config = ConfigParser.parse(dir);
		try (NDManager root = NDManager.newBaseManager("PyTorch");
				TrainableLlava written = new TrainableLlava(config, root, 3);
				TrainableLlava loaded = new TrainableLlava(config, root, 9);
				TextTokenizer tokenizer = TextTokenizer.load(dir)) {
			SafetensorsWriter.write(dir.resolve("model.safetensors"), written.tensors());
			loaded.load(dir.resolve("model.safetensors"));
			written.parameters().forEach((name, w) -> assertThat(loaded.parameters().get(name).toFloatArray())
				.as(name).containsExactly(w.toFloatArray()));
			PromptEncoder encoder = new PromptEncoder(tokenizer, ChatTemplate.load(dir), config.imageTokenId(),
					Scene.CELLS * Scene.CELLS, 2048);
			TrainingBatch batch = TrainingBatch.of(List.of(new TaskGenerator(4).conversation(3)), encoder,
					ImageProcessor.load(dir), config.imageTokenId());
			try (NDManager scope = root.newSubManager()) {
				List<NDArray> stream = loaded.residualStream(scope, batch);
				assertThat(stream).hasSize(config.text().numLayers() + 1);
				// The lens at the last layer is what the model predicts.
				NDArray last = stream.get(stream.size() - 1).reshape(-1, config.text().hiddenSize())
					.get(new NDIndex("{}", scope.create(batch.targetPositions())));
				float[] lens = loaded.readOut(last).toFloatArray();
				float[] forward = written.forward(scope, batch).toFloatArray();
				assertThat(lens).hasSize(forward.length);
				for (int i = 0; i < lens.length; i++) {
					assertThat(lens[i]).as("logit %d", i).isCloseTo(forward[i],
							org.assertj.core.data.Offset.offset(1e-4f + 1e-4f * Math.abs(forward[i])));
				}
				// Layer 0 starts as an identity: at first it passes every token unchanged.
				assertThat(stream.get(1).sub(stream.get(0)).abs().max().getFloat()).isZero();
				assertThat(stream.get(2).sub(stream.get(1)).abs().max().getFloat()).isPositive();
			}
		}
	}

	@Test
	void readsEveryDepthAndSeesAnUntrainedLayerZeroChangeNothing(@TempDir Path dir) throws Exception {
		TrainerTest.SMALL.writeFiles(dir);
		try (NDManager root = NDManager.newBaseManager("PyTorch");
				TrainableLlava model = new TrainableLlava(ConfigParser.parse(dir), root, 5)) {
			SafetensorsWriter.write(dir.resolve("model.safetensors"), model.tensors());
		}
		LogitLens.Result r = LogitLens.measure(dir, 8080, 6);
		assertThat(r.answers().count()).isPositive();
		assertThat(r.shapes().count()).isPositive().isLessThanOrEqualTo(r.answers().count());
		assertThat(r.answers().top()).hasSize(TrainerTest.SMALL.layers() + 1);
		for (LogitLens.Reading reading : List.of(r.answers(), r.shapes())) {
			for (double t : reading.top()) {
				assertThat(t).isBetween(0.0, 1.0);
			}
			assertThat(reading.top()[1]).isEqualTo(reading.top()[0]);
			assertThat(reading.margin()[1]).isEqualTo(reading.margin()[0]);
			assertThat(reading.margin()[2]).isNotEqualTo(reading.margin()[1]);
		}
	}

	@Test
	void aCheckpointWithoutSomeWeightIsRefusedByName(@TempDir Path dir) throws Exception {
		TrainerTest.SMALL.writeFiles(dir);
		LlavaConfig config = ConfigParser.parse(dir);
		try (NDManager root = NDManager.newBaseManager("PyTorch");
				TrainableLlava model = new TrainableLlava(config, root, 3)) {
			List<SafetensorsWriter.Tensor> tensors = model.tensors();
			SafetensorsWriter.write(dir.resolve("model.safetensors"),
					tensors.stream().filter(t -> !t.name().endsWith("layers.1.mlp.up_proj.weight")).toList());
			assertThat(Files.exists(dir.resolve("model.safetensors"))).isTrue();
			assertThatIllegalArgumentException().isThrownBy(() -> model.load(dir.resolve("model.safetensors")))
				.withMessageContaining("language_model.model.layers.1.mlp.up_proj.weight");
		}
	}

}
