package dev.vlcache.testsupport;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsWriterTest {

	@Test
	void roundsToNearestEven() {
		// 1 + 2^-8 lies halfway between two bfloat16 values; ties go to the even mantissa (1.0).
		assertThat(SafetensorsWriter.toBfloat16(1f + 0x1p-8f)).isEqualTo((short) 0x3F80);
		assertThat(SafetensorsWriter.toBfloat16(1f + 0x1p-7f + 0x1p-8f)).isEqualTo((short) 0x3F82);
		assertThat(SafetensorsWriter.toHalf(1f)).isEqualTo((short) 0x3C00);
		assertThat(SafetensorsWriter.toHalf(65520f)).isEqualTo((short) 0x7C00);
		assertThat(SafetensorsWriter.toHalf(0x1p-24f)).isEqualTo((short) 0x0001);
	}

	@Test
	void refusesValuesThatDoNotFillTheShape() {
		assertThatThrownBy(() -> new SafetensorsWriter.Tensor("w", SafetensorsWriter.DType.F32, new long[] { 2, 3 },
				new float[5]))
			.hasMessageContaining("tensor w: shape [2, 3] needs 6 values, got 5");
	}

	@Test
	void deferredTensorsAreMadeOnceWhenWrittenAndLaidOutLikeTheOthers(@TempDir Path dir) throws Exception {
		java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
		SafetensorsWriter.Deferred deferred = new SafetensorsWriter.Deferred("w", SafetensorsWriter.DType.F16,
				new long[] { 2, 2 }, () -> {
					made.incrementAndGet();
					return new float[] { 1, 2, 3, 4 };
				});
		Path lazy = dir.resolve("lazy.safetensors");
		Path eager = dir.resolve("eager.safetensors");
		SafetensorsWriter.writeDeferred(lazy, List.of(deferred));
		SafetensorsWriter.write(eager, List.of(new SafetensorsWriter.Tensor("w", SafetensorsWriter.DType.F16,
				new long[] { 2, 2 }, new float[] { 1, 2, 3, 4 })));
		assertThat(made.get()).isEqualTo(1);
		assertThat(lazy).hasSameBinaryContentAs(eager);
		assertThatThrownBy(() -> SafetensorsWriter.writeDeferred(dir.resolve("bad.safetensors"),
				List.of(new SafetensorsWriter.Deferred("v", SafetensorsWriter.DType.F32, new long[] { 3 },
						() -> new float[2]))))
			.hasMessageContaining("tensor v: shape [3] needs 3 values, got 2");
	}

}
