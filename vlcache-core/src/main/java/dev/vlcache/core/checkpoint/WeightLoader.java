package dev.vlcache.core.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.jspecify.annotations.Nullable;

/**
 * Loads tensors of a {@link WeightIndex} into {@link NDArray}s of the compute dtype, owned by the model's
 * {@link NDManager}.
 *
 * <p>
 * Weights are streamed in chunks: each chunk is read from the memory-mapped file, converted (BF16 is widened to
 * F32 in Java, because a BFLOAT16 NDArray crashes DJL 0.36's PyTorch engine) and copied into the destination
 * tensor. At no point do two full copies of the model exist; the extra memory is one chunk.
 */
public final class WeightLoader {

	/** Elements per conversion chunk (32 MiB of F32). */
	private static final int CHUNK_ELEMENTS = 8 * 1024 * 1024;

	private final WeightIndex index;

	private final NDManager manager;

	private final DataType computeType;

	private long loadedParameters;

	public WeightLoader(WeightIndex index, NDManager manager, DataType computeType) {
		if (computeType == DataType.BFLOAT16) {
			throw new IllegalArgumentException("bfloat16 compute is not supported by DJL's PyTorch engine");
		}
		this.index = index;
		this.manager = manager;
		this.computeType = computeType;
	}

	public WeightIndex index() {
		return this.index;
	}

	/** Number of parameters loaded so far. */
	public long loadedParameters() {
		return this.loadedParameters;
	}

	/** Loads a required tensor and checks its shape. */
	public NDArray load(String canonicalName, long... expectedShape) {
		TensorEntry entry = this.index.require(canonicalName);
		checkShape(entry, expectedShape);
		return read(entry);
	}

	/** Loads a tensor that a model may or may not have (a bias), checking its shape when present. */
	public @Nullable NDArray loadOptional(String canonicalName, long... expectedShape) {
		TensorEntry entry = this.index.find(canonicalName);
		if (entry == null) {
			return null;
		}
		checkShape(entry, expectedShape);
		return read(entry);
	}

	private static void checkShape(TensorEntry entry, long[] expected) {
		if (!Arrays.equals(entry.shape(), expected)) {
			throw new CheckpointException("Tensor '" + entry.name() + "' in " + entry.file().getFileName() + " has shape "
					+ entry.shapeString() + ", expected " + Arrays.toString(expected));
		}
	}

	private NDArray read(TensorEntry entry) {
		if (!entry.dtype().isSupportedWeightType()) {
			throw new CheckpointException("Tensor '" + entry.name() + "' in " + entry.file().getFileName() + " has dtype "
					+ entry.dtype() + "; weights must be F32, F16 or BF16");
		}
		long count = entry.elementCount();
		NDArray target = this.manager.create(new Shape(entry.shape()), this.computeType);
		try (FileChannel channel = FileChannel.open(entry.file(), StandardOpenOption.READ)) {
			NDArray flat = target.reshape(count);
			ByteBuffer widened = entry.dtype() == TensorDType.BF16
					? ByteBuffer.allocateDirect(Math.min((int) count, CHUNK_ELEMENTS) * 4).order(ByteOrder.nativeOrder())
					: null;
			for (long start = 0; start < count; start += CHUNK_ELEMENTS) {
				int n = (int) Math.min(CHUNK_ELEMENTS, count - start);
				MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY,
						entry.offset() + start * entry.dtype().bytes(), (long) n * entry.dtype().bytes());
				mapped.order(ByteOrder.LITTLE_ENDIAN);
				try (NDManager scratch = this.manager.newSubManager(Device.cpu())) {
					NDArray chunk = switch (entry.dtype()) {
						case F32 -> scratch.create(mapped, new Shape(n), DataType.FLOAT32);
						case F16 -> scratch.create(mapped, new Shape(n), DataType.FLOAT16);
						default -> scratch.create(widenBf16(mapped.asShortBuffer(), widened, n), new Shape(n),
								DataType.FLOAT32);
					};
					NDArray converted = chunk.getDataType() == this.computeType ? chunk
							: chunk.toType(this.computeType, false);
					flat.set(new NDIndex("{}:{}", start, start + n), converted.toDevice(target.getDevice(), false));
				}
			}
			flat.close();
		}
		catch (IOException ex) {
			target.close();
			throw new CheckpointException("Cannot read tensor '" + entry.name() + "' from " + entry.file() + ": "
					+ ex.getMessage(), ex);
		}
		this.loadedParameters += count;
		return target;
	}

	/** BF16 is the upper half of an F32: shift each value into place. */
	private static ByteBuffer widenBf16(ShortBuffer source, @Nullable ByteBuffer into, int n) {
		ByteBuffer out = java.util.Objects.requireNonNull(into).clear();
		for (int i = 0; i < n; i++) {
			out.putInt((source.get(i) & 0xFFFF) << 16);
		}
		return out.flip().limit(n * 4);
	}

}
