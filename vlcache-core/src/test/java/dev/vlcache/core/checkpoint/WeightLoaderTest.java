package dev.vlcache.core.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.vlcache.testsupport.SafetensorsWriter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WeightLoaderTest {

	/** 5 x 3, values exact in F16 and BF16. */
	private static final float[] MATRIX = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, -0.5f };

	@ParameterizedTest
	@EnumSource(value = SafetensorsWriter.DType.class, names = { "F32", "F16", "BF16" })
	void readsAMatrixTransposedWhateverTheChunkBoundaries(SafetensorsWriter.DType dtype, @TempDir Path dir) throws IOException {
		SafetensorsWriter.write(dir.resolve("model.safetensors"),
				List.of(new SafetensorsWriter.Tensor("lm_head.weight", dtype, new long[] { 5, 3 }, MATRIX)));
		WeightIndex index = WeightIndex.open(dir);
		float[] transposed = { 0, 3, 6, 9, 12, 1, 4, 7, 10, 13, 2, 5, 8, 11, -0.5f };
		// 1 row per chunk, 2 rows (the last chunk short), everything in one chunk.
		for (int chunk : new int[] { 1, 4, 6, 1000 }) {
			try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
				WeightLoader loader = new WeightLoader(index, manager, DataType.FLOAT32, chunk);
				NDArray t = loader.loadTransposed("lm_head.weight", 5, 3);
				assertThat(t.getShape()).as("chunk %d", chunk).isEqualTo(new Shape(3, 5));
				assertThat(t.toFloatArray()).as("chunk %d", chunk).containsExactly(transposed);
				NDArray kept = loader.load("lm_head.weight", 5, 3);
				assertThat(kept.toFloatArray()).as("chunk %d", chunk).containsExactly(MATRIX);
				assertThat(loader.loadedParameters()).isEqualTo(30);
			}
		}
	}

	@Test
	void aTransposedReadChecksTheStoredShape(@TempDir Path dir) throws IOException {
		SafetensorsWriter.write(dir.resolve("model.safetensors"),
				List.of(new SafetensorsWriter.Tensor("lm_head.weight", SafetensorsWriter.DType.F32, new long[] { 5, 3 }, MATRIX)));
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			WeightLoader loader = new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32);
			assertThatThrownBy(() -> loader.loadTransposed("lm_head.weight", 3, 5)).isInstanceOf(CheckpointException.class)
				.hasMessageContaining("has shape [5, 3], expected [3, 5]");
			assertThatThrownBy(() -> new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32, 0))
				.isInstanceOf(IllegalArgumentException.class)
				.hasMessageContaining("chunkElements");
		}
	}

}
