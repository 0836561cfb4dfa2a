package dev.vlcache.core.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

import dev.vlcache.core.runtime.Int8Activations;
import dev.vlcache.core.runtime.LibtorchKernels;

/**
 * Loads tensors of a {@link WeightIndex} into {@link NDArray}s of the compute dtype, owned by the model's
 * {@link NDManager}.
 *
 * <p>
 * Weights are streamed in chunks: each chunk is read from the file into one reused buffer, converted (BF16 is
 * widened to F32 in Java, because a BFLOAT16 NDArray crashes DJL 0.36's PyTorch engine) and copied into the
 * destination tensor. At no point do two full copies of the model exist; the extra memory is one chunk. The file is
 * read, not memory-mapped: mapped chunks stay resident until the garbage collector unmaps them, which left a
 * LLaVA-7B-4-layer process 4 GB larger after loading than after its first request.
 */
public final class WeightLoader {

	/** Elements per conversion chunk (32 MiB of F32). */
	private static final int CHUNK_ELEMENTS = 8 * 1024 * 1024;

	private final WeightIndex index;

	private final NDManager manager;

	private final DataType computeType;

	private final int chunkElements;

	private DataType matrixType;

	private @Nullable LibtorchKernels int8Kernels;

	private Int8Activations int8Activations = Int8Activations.BFLOAT16;

	private @Nullable LibtorchKernels float32Packer;

	/** The read buffer, reused across chunks and tensors; grown on demand. */
	private @Nullable ByteBuffer readBuffer;

	private long loadedParameters;

	private long loadedBytes;

	public WeightLoader(WeightIndex index, NDManager manager, DataType computeType) {
		this(index, manager, computeType, CHUNK_ELEMENTS);
	}

	/** With {@code chunkElements} per conversion chunk instead of 8 Mi: tests use small chunks to cross them. */
	WeightLoader(WeightIndex index, NDManager manager, DataType computeType, int chunkElements) {
		if (chunkElements < 1) {
			throw new IllegalArgumentException("chunkElements must be positive, got " + chunkElements);
		}
		if (computeType == DataType.BFLOAT16) {
			throw new IllegalArgumentException("bfloat16 compute is not supported by DJL's PyTorch engine");
		}
		this.index = index;
		this.manager = manager;
		this.computeType = computeType;
		this.matrixType = computeType;
		this.chunkElements = chunkElements;
	}

	/**
	 * Stores the matrices loaded from now on by {@link #loadMatrix} in {@code type} instead of the compute dtype:
	 * float16 weights beside float32 activations halve what the decoder reads.
	 */
	public void storeMatricesAs(DataType type) {
		if (type != DataType.FLOAT32 && type != DataType.FLOAT16) {
			throw new IllegalArgumentException("matrices are stored as float32 or float16, not " + type);
		}
		this.matrixType = type;
		this.int8Kernels = null;
		this.int8Activations = Int8Activations.BFLOAT16;
		this.float32Packer = null;
	}

	/**
	 * Has the float32 matrices multiplied from now on packed for oneDNN's product by {@code kernels}
	 * ({@link LibtorchKernels#packFloat32}), which must support it. Only float32 matrices on a CPU are packed.
	 */
	public void packFloat32Matrices(LibtorchKernels kernels) {
		if (!kernels.packsFloat32()) {
			throw new IllegalArgumentException("this libtorch build has no oneDNN products to pack matrices for");
		}
		this.float32Packer = kernels;
	}

	/**
	 * The kernels that pack float32 matrices for oneDNN, or {@code null} unless {@link #packFloat32Matrices} was
	 * called and the matrices are float32 on a CPU.
	 */
	public @Nullable LibtorchKernels float32Packer() {
		boolean float32OnCpu = this.matrixType == DataType.FLOAT32 && this.computeType == DataType.FLOAT32
				&& Device.Type.CPU.equals(this.manager.getDevice().getDeviceType());
		return float32OnCpu ? this.float32Packer : null;
	}

	/**
	 * Quantizes the matrices loaded from now on ({@link #loadQuantized}) to int8 with one scale per row, to be
	 * multiplied by {@code kernels}: a quarter of float32's bytes.
	 */
	public void quantizeMatrices(LibtorchKernels kernels) {
		quantizeMatrices(kernels, Int8Activations.BFLOAT16);
	}

	/** {@link #quantizeMatrices(LibtorchKernels)}, their products treating activations as {@code activations}. */
	public void quantizeMatrices(LibtorchKernels kernels, Int8Activations activations) {
		this.matrixType = DataType.INT8;
		this.int8Kernels = kernels;
		this.int8Activations = activations;
		this.float32Packer = null;
	}

	/** What the int8 matrices' products do with their activations ({@link #quantizeMatrices}). */
	public Int8Activations int8Activations() {
		return this.int8Activations;
	}

	/** The kernels that multiply the int8 matrices, or {@code null} unless {@link #quantizeMatrices} was called. */
	public @Nullable LibtorchKernels int8Kernels() {
		return this.int8Kernels;
	}

	/**
	 * The dtype matrices are stored in: the compute dtype unless {@link #storeMatricesAs} chose another, or
	 * {@code INT8} after {@link #quantizeMatrices}.
	 */
	public DataType matrixType() {
		return this.matrixType;
	}

	public WeightIndex index() {
		return this.index;
	}

	/** The dtype every loaded tensor has, and so the dtype activations are computed in. */
	public DataType computeType() {
		return this.computeType;
	}

	/** Number of parameters loaded so far. */
	public long loadedParameters() {
		return this.loadedParameters;
	}

	/** Bytes of the tensors loaded so far, in the dtypes they are stored in. */
	public long loadedBytes() {
		return this.loadedBytes;
	}

	/** Loads a required matrix [out, in] in {@link #matrixType()}, in the checkpoint's layout. */
	public NDArray loadMatrix(String canonicalName, long out, long in) {
		if (this.matrixType == DataType.INT8) {
			throw new IllegalStateException("int8 matrices are loaded with their scales: loadQuantized");
		}
		TensorEntry entry = this.index.require(canonicalName);
		checkShape(entry, new long[] { out, in });
		return read(entry, this.matrixType);
	}

	/**
	 * Loads a required matrix [out, in] quantized to int8, a block of rows at a time: each row {@code o} is
	 * stored as {@code round(w[o] / s[o])} with {@code s[o] = max |w[o]| / 127} (symmetric, per output row, the
	 * scheme of libtorch's weight-only int8 kernel), so that no float32 copy of the matrix exists in full.
	 */
	public QuantizedMatrix loadQuantized(String canonicalName, long out, long in) {
		TensorEntry entry = this.index.require(canonicalName);
		checkShape(entry, new long[] { out, in });
		NDArray values = this.manager.create(new Shape(out, in), DataType.INT8);
		NDArray scales = this.manager.create(new Shape(out), DataType.FLOAT32);
		long rowsPerChunk = Math.max(1, this.chunkElements / in);
		try {
			read(entry, rowsPerChunk * in, DataType.FLOAT32, (start, chunk) -> {
				long row = start / in;
				long rows = chunk.size() / in;
				NDArray block = chunk.reshape(rows, in);
				// An all-zero row keeps a positive scale, so that it quantizes to zeros rather than NaN.
				NDArray scale = block.abs().max(new int[] { 1 }).maximum(Float.MIN_NORMAL).div(127f);
				NDIndex slot = new NDIndex("{}:{}", row, row + rows);
				values.set(slot, block.div(scale.expandDims(1)).round().toType(DataType.INT8, false));
				scales.set(slot, scale);
			}, values);
		}
		catch (RuntimeException ex) {
			values.close();
			scales.close();
			throw ex;
		}
		this.loadedBytes += out * DataType.FLOAT32.getNumOfBytes();
		return new QuantizedMatrix(values, scales);
	}

	/** Loads a required tensor and checks its shape. */
	public NDArray load(String canonicalName, long... expectedShape) {
		TensorEntry entry = this.index.require(canonicalName);
		checkShape(entry, expectedShape);
		return read(entry, this.computeType);
	}

	/** Loads a tensor that a model may or may not have (a bias), checking its shape when present. */
	public @Nullable NDArray loadOptional(String canonicalName, long... expectedShape) {
		TensorEntry entry = this.index.find(canonicalName);
		if (entry == null) {
			return null;
		}
		checkShape(entry, expectedShape);
		return read(entry, this.computeType);
	}

	private static void checkShape(TensorEntry entry, long[] expected) {
		if (!Arrays.equals(entry.shape(), expected)) {
			throw new CheckpointException("Tensor '" + entry.name() + "' in " + entry.file().getFileName() + " has shape "
					+ entry.shapeString() + ", expected " + Arrays.toString(expected));
		}
	}

	/**
	 * Loads a required matrix stored [out, in] as its transpose, [in, out] and contiguous, converting one block of
	 * rows at a time, so that the checkpoint's layout never exists in full in native memory.
	 */
	public NDArray loadTransposed(String canonicalName, long out, long in) {
		TensorEntry entry = this.index.require(canonicalName);
		checkShape(entry, new long[] { out, in });
		NDArray target = this.manager.create(new Shape(in, out), this.computeType);
		long rowsPerChunk = Math.max(1, this.chunkElements / in);
		read(entry, rowsPerChunk * in, this.computeType, (start, chunk) -> {
			long row = start / in;
			long rows = chunk.size() / in;
			target.set(new NDIndex(":, {}:{}", row, row + rows), chunk.reshape(rows, in).transpose());
		}, target);
		return target;
	}

	private NDArray read(TensorEntry entry, DataType type) {
		NDArray target = this.manager.create(new Shape(entry.shape()), type);
		NDArray flat = target.reshape(entry.elementCount());
		read(entry, this.chunkElements, type,
				(start, chunk) -> flat.set(new NDIndex("{}:{}", start, start + chunk.size()), chunk), target);
		flat.close();
		return target;
	}

	/** Where a chunk of converted elements goes: {@code chunk} holds elements {@code start ..} of the tensor. */
	private interface ChunkSink {

		void accept(long start, NDArray chunk);

	}

	/**
	 * Streams {@code entry} in chunks of at most {@code chunkSize} elements, converted to {@code chunkType} and
	 * {@code target}'s device, into {@code sink}; {@code target} is closed if reading fails. The loaded bytes are
	 * counted in {@code target}'s dtype.
	 */
	private void read(TensorEntry entry, long chunkSize, DataType chunkType, ChunkSink sink, NDArray target) {
		if (!entry.dtype().isSupportedWeightType()) {
			target.close();
			throw new CheckpointException("Tensor '" + entry.name() + "' in " + entry.file().getFileName() + " has dtype "
					+ entry.dtype() + "; weights must be F32, F16 or BF16");
		}
		long count = entry.elementCount();
		try (FileChannel channel = FileChannel.open(entry.file(), StandardOpenOption.READ)) {
			ByteBuffer widened = entry.dtype() == TensorDType.BF16
					? ByteBuffer.allocateDirect((int) Math.min(count, chunkSize) * 4).order(ByteOrder.nativeOrder())
					: null;
			for (long start = 0; start < count; start += chunkSize) {
				int n = (int) Math.min(chunkSize, count - start);
				ByteBuffer raw = readChunk(channel, entry, start, n);
				try (NDManager scratch = this.manager.newSubManager(Device.cpu())) {
					// Every sink copies the chunk into its target, so the buffer is free again after the call.
					NDArray chunk = switch (entry.dtype()) {
						case F32 -> scratch.create(raw, new Shape(n), DataType.FLOAT32);
						case F16 -> scratch.create(raw, new Shape(n), DataType.FLOAT16);
						default -> scratch.create(widenBf16(raw.asShortBuffer(), widened, n), new Shape(n),
								DataType.FLOAT32);
					};
					NDArray converted = chunk.getDataType() == chunkType ? chunk : chunk.toType(chunkType, false);
					sink.accept(start, converted.toDevice(target.getDevice(), false));
				}
			}
		}
		catch (IOException ex) {
			target.close();
			throw new CheckpointException("Cannot read tensor '" + entry.name() + "' from " + entry.file() + ": "
					+ ex.getMessage(), ex);
		}
		this.loadedParameters += count;
		this.loadedBytes += count * target.getDataType().getNumOfBytes();
	}

	/** Elements {@code start .. start + n} of {@code entry}, read into the reused buffer (little-endian). */
	private ByteBuffer readChunk(FileChannel channel, TensorEntry entry, long start, int n) throws IOException {
		int bytes = n * entry.dtype().bytes();
		ByteBuffer buffer = this.readBuffer;
		if (buffer == null || buffer.capacity() < bytes) {
			buffer = ByteBuffer.allocateDirect(Math.max(bytes, this.chunkElements * 4));
			this.readBuffer = buffer;
		}
		buffer.clear().limit(bytes);
		long position = entry.offset() + start * entry.dtype().bytes();
		while (buffer.hasRemaining()) {
			if (channel.read(buffer, position + buffer.position()) < 0) {
				throw new IOException("the file ends inside the tensor");
			}
		}
		return buffer.flip().order(ByteOrder.LITTLE_ENDIAN);
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
