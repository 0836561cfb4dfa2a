package dev.vlcache.testsupport;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/**
 * Writes safetensors files: checkpoints the project produces itself (the demo model, randomly initialised
 * benchmark models) and test variants of the fixtures. Floats are stored as F32, F16 or BF16 (round to nearest
 * even). The engine only reads safetensors; writing them is for the tests and tools.
 */
public final class SafetensorsWriter {

	/** The element types it writes, as safetensors names them, with their size in bytes. */
	public enum DType {

		F32(4), F16(2), BF16(2);

		private final int bytes;

		DType(int bytes) {
			this.bytes = bytes;
		}

		public int bytes() {
			return this.bytes;
		}

	}

	/**
	 * One tensor to write.
	 *
	 * @param name stored name
	 * @param dtype F32, F16 or BF16
	 * @param shape dimensions
	 * @param values the values, row-major
	 */
	public record Tensor(String name, DType dtype, long[] shape, float[] values) {

		public Tensor {
			long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
			if (count != values.length) {
				throw new IllegalArgumentException(
						"tensor " + name + ": shape " + Arrays.toString(shape) + " needs " + count + " values, got " + values.length);
			}
		}

	}

	/**
	 * A tensor whose values are made only when it is written, so that a file larger than the heap is written one
	 * tensor at a time.
	 *
	 * @param name stored name
	 * @param dtype F32, F16 or BF16
	 * @param shape dimensions
	 * @param values makes the values, row-major, once
	 */
	public record Deferred(String name, DType dtype, long[] shape, Supplier<float[]> values) {

		long count() {
			return Arrays.stream(this.shape).reduce(1, (a, b) -> a * b);
		}

	}

	private SafetensorsWriter() {
	}

	public static void write(Path file, List<Tensor> tensors) throws IOException {
		writeDeferred(file, tensors.stream().map(t -> new Deferred(t.name(), t.dtype(), t.shape(), t::values)).toList());
	}

	/** Writes {@code tensors}, making each one's values just before they are written. */
	public static void writeDeferred(Path file, List<Deferred> tensors) throws IOException {
		JsonObject header = new JsonObject();
		JsonObject metadata = new JsonObject();
		metadata.addProperty("format", "pt");
		header.add("__metadata__", metadata);
		long offset = 0;
		for (Deferred t : tensors) {
			JsonObject entry = new JsonObject();
			entry.addProperty("dtype", t.dtype().name());
			JsonArray shape = new JsonArray();
			for (long d : t.shape()) {
				shape.add(d);
			}
			entry.add("shape", shape);
			long bytes = t.count() * t.dtype().bytes();
			JsonArray offsets = new JsonArray();
			offsets.add(offset);
			offsets.add(offset + bytes);
			entry.add("data_offsets", offsets);
			header.add(t.name(), entry);
			offset += bytes;
		}
		byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
		int padding = (8 - json.length % 8) % 8;
		try (OutputStream out = Files.newOutputStream(file)) {
			ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
			length.putLong(json.length + padding);
			out.write(length.array());
			out.write(json);
			out.write(" ".repeat(padding).getBytes(StandardCharsets.UTF_8));
			for (Deferred t : tensors) {
				float[] values = t.values().get();
				if (values.length != t.count()) {
					throw new IllegalArgumentException("tensor " + t.name() + ": shape " + Arrays.toString(t.shape())
							+ " needs " + t.count() + " values, got " + values.length);
				}
				out.write(encode(values, t.dtype()));
			}
		}
	}

	private static byte[] encode(float[] values, DType dtype) {
		ByteBuffer buffer = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
		for (float v : values) {
			switch (dtype) {
				case F32 -> buffer.putFloat(v);
				case F16 -> buffer.putShort(toHalf(v));
				case BF16 -> buffer.putShort(toBfloat16(v));
			}
		}
		return buffer.array();
	}

	/** Float to bfloat16 bits, rounding to nearest even. */
	public static short toBfloat16(float v) {
		int bits = Float.floatToRawIntBits(v);
		if (Float.isNaN(v)) {
			return (short) 0x7FC0;
		}
		int rounding = 0x7FFF + ((bits >>> 16) & 1);
		return (short) ((bits + rounding) >>> 16);
	}

	/** Float to IEEE half bits, rounding to nearest even. */
	public static short toHalf(float v) {
		int bits = Float.floatToRawIntBits(v);
		int sign = (bits >>> 16) & 0x8000;
		int exp = ((bits >>> 23) & 0xFF) - 127 + 15;
		int mantissa = bits & 0x7FFFFF;
		if (((bits >>> 23) & 0xFF) == 0xFF) {
			return (short) (sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0));
		}
		if (exp >= 0x1F) {
			return (short) (sign | 0x7C00);
		}
		if (exp <= 0) {
			if (exp < -10) {
				return (short) sign;
			}
			mantissa |= 0x800000;
			int shift = 14 - exp;
			int half = mantissa >>> shift;
			int rem = mantissa & ((1 << shift) - 1);
			int mid = 1 << (shift - 1);
			if (rem > mid || (rem == mid && (half & 1) == 1)) {
				half++;
			}
			return (short) (sign | half);
		}
		int half = (exp << 10) | (mantissa >>> 13);
		int rem = mantissa & 0x1FFF;
		if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
			half++;
		}
		return (short) (sign | half);
	}

}
