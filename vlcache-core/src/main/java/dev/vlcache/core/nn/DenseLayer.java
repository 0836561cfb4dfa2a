package dev.vlcache.core.nn;

import java.util.List;
import java.util.Objects;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.QuantizedMatrix;
import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.runtime.Int8Activations;
import dev.vlcache.core.runtime.LibtorchKernels;

/**
 * A linear layer, {@code x W^T + b}, whose weight is either kept as the checkpoint stores it, [out, in], or stored
 * transposed, [in, out] and contiguous. Decoding is a chain of one-row products, and libtorch's CPU kernel reads a
 * large matrix faster transposed (measured by {@code LayoutBenchmark} in five runs: the 151936 x 896 LM head
 * 1.42-1.75x, 32064 x 4096 1.17-1.37x, 4864 x 896 1.27-1.42x; 4096 x 4096 0.99-1.10x) and a small one slower
 * (128 x 896 0.60-0.66x, 896 x 896 0.91-0.93x). So LM heads and matrices of at least {@link #TRANSPOSED_FROM}
 * elements are transposed as they are read ({@link WeightLoader#loadTransposed}): transposing after loading left
 * the Qwen2-0.5B shape's process 0.6 GB larger, because the freed originals stay with the allocator.
 *
 * <p>
 * A weight may also be stored in half precision beside float32 activations ({@link WeightLoader#storeMatricesAs}):
 * then it keeps the [out, in] layout, whose float16 products are fast, and {@link #apply} multiplies few rows in
 * float16 and many against the matrix widened for the call ({@link #HALF_PRODUCT_ROWS}). Or it may be int8 with
 * a scale per row ({@link WeightLoader#quantizeMatrices}), [out, in], multiplied at any row count by libtorch's
 * weight-only int8 kernel ({@link LibtorchKernels#int8Linear}); with {@link Int8Activations#DYNAMIC_INT8} (on a
 * CPU) the matrix is instead repacked for fbgemm as it is loaded, the int8 values freed unless the layer is also a
 * lookup table, and its products quantize the activations too ({@link LibtorchKernels#dynamicInt8Linear}).
 *
 * <p>
 * A float32 matrix on a CPU is packed for oneDNN as it is loaded when the loader asks for it
 * ({@link WeightLoader#packFloat32Matrices}), in place of the transposed layout: oneDNN's product reads one row's
 * weights 1.3-1.8x faster than libtorch's plain one ({@link LibtorchKernels#packFloat32}); the [out, in] matrix is
 * freed unless the layer is also a lookup table.
 */
public final class DenseLayer {

	/** Elements from which a layer's matrix is stored transposed: between 896 x 896 (slower) and 4864 x 896. */
	public static final long TRANSPOSED_FROM = 1L << 22;

	/**
	 * Most activation rows multiplied in the weight's own half precision; more rows (prefill) widen the matrix to
	 * the activation's dtype first. libtorch's float16 products on [out, in] are 1.9-2.9x faster than float32 for
	 * one row and as fast for 8, but large float16 products take a slow path (a 582-token prefill in float16 did not
	 * finish in 12 minutes): docs/benchmarks.md, "Half-precision products".
	 */
	public static final long HALF_PRODUCT_ROWS = 16;

	/** The matrix as an array, or {@code null} when only its {@link #packed} form is kept. */
	private final @Nullable NDArray weight;

	private final @Nullable NDArray bias;

	private final boolean transposed;

	/** Per-row scales of an int8 weight held as an array, else {@code null}. */
	private final @Nullable NDArray scales;

	/** The int8 matrix repacked for dynamically quantized products, else {@code null}. */
	private final LibtorchKernels.@Nullable PackedInt8Matrix packed;

	/** The float32 matrix packed for oneDNN's product, else {@code null}. */
	private final LibtorchKernels.@Nullable PackedFloatMatrix packedFloat;

	/** The kernels that multiply an int8 or packed float32 weight, else {@code null}. */
	private final @Nullable LibtorchKernels kernels;

	private final long outputs;

	private DenseLayer(NDArray weight, @Nullable NDArray bias, boolean transposed) {
		this.weight = weight;
		this.bias = bias;
		this.transposed = transposed;
		this.scales = null;
		this.packed = null;
		this.kernels = null;
		this.packedFloat = null;
		this.outputs = weight.getShape().get(transposed ? 1 : 0);
	}

	/**
	 * A float32 layer packed for oneDNN; {@code table} is the matrix [out, in] kept beside it when its rows are
	 * looked up too (a tied LM head), else {@code null}.
	 */
	private DenseLayer(LibtorchKernels.PackedFloatMatrix packed, @Nullable NDArray table, @Nullable NDArray bias,
			LibtorchKernels kernels) {
		this.weight = table;
		this.bias = bias;
		this.transposed = false;
		this.scales = null;
		this.packed = null;
		this.kernels = kernels;
		this.packedFloat = packed;
		this.outputs = packed.outputs();
	}

	/** Packs {@code weight} [out, in] for oneDNN, freeing it unless {@code lookedUp}. */
	private static DenseLayer packedFloat32(LibtorchKernels kernels, NDArray weight, @Nullable NDArray bias,
			boolean lookedUp) {
		LibtorchKernels.PackedFloatMatrix packed = kernels.packFloat32(weight);
		if (!lookedUp) {
			weight.close();
		}
		return new DenseLayer(packed, lookedUp ? weight : null, bias, kernels);
	}

	/**
	 * An int8 layer: {@code multiplied} when products are taken with it, {@code lookedUp} when its rows are read
	 * ({@link #rows}). A multiplied layer with dynamic activations on a CPU is packed, and its int8 values are
	 * freed unless it is looked up as well.
	 */
	private DenseLayer(QuantizedMatrix weight, @Nullable NDArray bias, LibtorchKernels kernels,
			Int8Activations activations, boolean multiplied, boolean lookedUp) {
		this.bias = bias;
		this.transposed = false;
		this.kernels = kernels;
		this.packedFloat = null;
		this.outputs = weight.values().getShape().get(0);
		boolean packs = multiplied && activations == Int8Activations.DYNAMIC_INT8
				&& Device.Type.CPU.equals(weight.values().getDevice().getDeviceType());
		this.packed = packs ? kernels.packInt8(weight.values(), weight.scales()) : null;
		if (packs && !lookedUp) {
			weight.values().close();
			weight.scales().close();
			this.weight = null;
			this.scales = null;
		}
		else {
			this.weight = weight.values();
			this.scales = weight.scales();
		}
	}

	/** A layer over the int8 matrix {@code name} the loader quantizes, or {@code null} if it does not quantize. */
	private static @Nullable DenseLayer quantized(WeightLoader w, String name, long out, long in, boolean multiplied,
			boolean lookedUp) {
		LibtorchKernels kernels = w.int8Kernels();
		return kernels == null ? null : new DenseLayer(w.loadQuantized(name, out, in), null, kernels,
				w.int8Activations(), multiplied, lookedUp);
	}

	/**
	 * Loads {@code name.weight} [out, in] (and {@code name.bias} [out] when {@code withBias}): int8 when the loader
	 * quantizes, packed for oneDNN when it packs float32 matrices, else transposed when it has at least
	 * {@link #TRANSPOSED_FROM} elements.
	 */
	public static DenseLayer load(WeightLoader w, String name, long out, long in, boolean withBias) {
		LibtorchKernels kernels = w.int8Kernels();
		if (kernels != null) {
			NDArray bias = withBias ? w.load(name + ".bias", out) : null;
			return new DenseLayer(w.loadQuantized(name + ".weight", out, in), bias, kernels, w.int8Activations(), true,
					false);
		}
		LibtorchKernels packer = w.float32Packer();
		if (packer != null) {
			NDArray weight = w.load(name + ".weight", out, in);
			return packedFloat32(packer, weight, withBias ? w.load(name + ".bias", out) : null, false);
		}
		if (w.matrixType() != w.computeType()) {
			// Half-precision storage keeps [out, in]: its transposed products are 10-100x slower.
			return new DenseLayer(w.loadMatrix(name + ".weight", out, in), withBias ? w.load(name + ".bias", out) : null,
					false);
		}
		boolean transposed = storesTransposed(out, in);
		NDArray weight = transposed ? w.loadTransposed(name + ".weight", out, in) : w.load(name + ".weight", out, in);
		NDArray bias = withBias ? w.load(name + ".bias", out) : null;
		return new DenseLayer(weight, bias, transposed);
	}

	/**
	 * Loads an LM head without bias, {@code name} [out, in], transposed whatever its size (or packed, when the
	 * loader packs float32 matrices); {@code alsoTable} when it is the embedding table too (tied), whose rows are
	 * then looked up ({@link #rows} reads either layout), so that a packed head keeps its int8 or float32 values as
	 * well.
	 */
	public static DenseLayer loadHead(WeightLoader w, String name, long out, long in, boolean alsoTable) {
		DenseLayer int8 = quantized(w, name, out, in, true, alsoTable);
		if (int8 != null) {
			return int8;
		}
		LibtorchKernels packer = w.float32Packer();
		if (packer != null) {
			return packedFloat32(packer, w.load(name, out, in), null, alsoTable);
		}
		if (w.matrixType() != w.computeType()) {
			return new DenseLayer(w.loadMatrix(name, out, in), null, false);
		}
		return new DenseLayer(w.loadTransposed(name, out, in), null, true);
	}

	/** Whether {@link #load} stores a layer's [out, in] matrix transposed. */
	public static boolean storesTransposed(long out, long in) {
		return out * in >= TRANSPOSED_FROM;
	}

	/**
	 * A layer without bias over {@code weight} [out, in] already in memory, stored transposed; {@code weight} is
	 * closed. Checkpoints are read with {@link #load} and {@link #loadHead} instead, which never hold both layouts.
	 */
	public static DenseLayer transposing(NDArray weight) {
		return new DenseLayer(transpose(weight), null, true);
	}

	/**
	 * Loads a table [out, in] that is only looked up ({@link #rows}), an embedding table: in the loader's matrix
	 * storage, int8 included, and the checkpoint's layout.
	 */
	public static DenseLayer loadTable(WeightLoader w, String name, long out, long in) {
		DenseLayer int8 = quantized(w, name, out, in, false, true);
		return int8 != null ? int8 : keepingLayout(w.loadMatrix(name, out, in));
	}

	/** Wraps a weight [out, in] as it is, for a table that is only looked up (see {@link #rows}). */
	public static DenseLayer keepingLayout(NDArray weight) {
		if (weight.getShape().dimension() != 2) {
			throw new IllegalArgumentException("a dense layer's weight is a matrix, not " + weight.getShape());
		}
		return new DenseLayer(weight, null, false);
	}

	/** Whether the weight is int8 with a scale per row (as an array, packed, or both). */
	public boolean isInt8() {
		return this.packed != null || this.scales != null;
	}

	/**
	 * Loads the int8 matrices {@code names[i].weight} [outs[i], in] (and their biases when {@code withBias}) as one
	 * layer whose outputs are theirs side by side, for projections of one input (q, k and v; gate and up): the rows,
	 * scales and biases concatenated, so that each output is exactly what its own layer gives (every row has its
	 * own scale), from one product instead of several. Packed once, whole, when the loader's products are dynamic.
	 * @throws IllegalStateException if the loader does not quantize
	 */
	public static DenseLayer loadFusedInt8(WeightLoader w, List<String> names, long[] outs, long in,
			boolean withBias) {
		LibtorchKernels kernels = w.int8Kernels();
		if (kernels == null) {
			throw new IllegalStateException("only int8 matrices are fused: the loader does not quantize");
		}
		if (names.size() < 2 || names.size() != outs.length) {
			throw new IllegalArgumentException("fusing needs two or more names with an output size each, got "
					+ names + " and " + outs.length + " sizes");
		}
		NDList values = new NDList(names.size());
		NDList scales = new NDList(names.size());
		NDList biases = new NDList(names.size());
		try {
			for (int i = 0; i < names.size(); i++) {
				QuantizedMatrix part = w.loadQuantized(names.get(i) + ".weight", outs[i], in);
				values.add(part.values());
				scales.add(part.scales());
				if (withBias) {
					biases.add(w.load(names.get(i) + ".bias", outs[i]));
				}
			}
			QuantizedMatrix fused = new QuantizedMatrix(NDArrays.concat(values, 0), NDArrays.concat(scales, 0));
			NDArray bias = withBias ? NDArrays.concat(biases, 0) : null;
			return new DenseLayer(fused, bias, kernels, w.int8Activations(), true, false);
		}
		finally {
			values.close();
			scales.close();
			biases.close();
		}
	}

	/** The layer as {@link LibtorchKernels#decoderStep} reads it: its weights as stored, no copies. */
	public LibtorchKernels.Projection projection() {
		LibtorchKernels.PackedInt8Matrix packed = this.packed;
		if (packed != null) {
			return new LibtorchKernels.Projection(packed, this.bias);
		}
		LibtorchKernels.PackedFloatMatrix packedFloat = this.packedFloat;
		if (packedFloat != null) {
			return new LibtorchKernels.Projection(packedFloat, this.bias);
		}
		return new LibtorchKernels.Projection(Objects.requireNonNull(this.weight), this.scales, this.bias,
				this.transposed);
	}

	/** Output features. */
	public long outputs() {
		return this.outputs;
	}

	/**
	 * Whether its matrix is packed for a library's product: fbgemm's, which quantizes the activations
	 * ({@link Int8Activations#DYNAMIC_INT8} on a CPU), or oneDNN's float32 one.
	 */
	public boolean isPacked() {
		return this.packed != null || this.packedFloat != null;
	}

	/** Whether the weight is stored [in, out]. */
	public boolean isTransposed() {
		return this.transposed;
	}

	/** {@code x W^T + b} for {@code x} [..., in], owned by {@code x}'s manager, in {@code x}'s dtype. */
	public NDArray apply(NDArray x) {
		LibtorchKernels kernels = this.kernels;
		LibtorchKernels.PackedFloatMatrix packedFloat = this.packedFloat;
		if (kernels != null && packedFloat != null) {
			return kernels.float32PackedLinear(x, packedFloat, this.bias);
		}
		LibtorchKernels.PackedInt8Matrix packed = this.packed;
		if (kernels != null && packed != null) {
			NDArray y = kernels.dynamicInt8Linear(x, packed);
			return this.bias == null ? y : y.add(this.bias);
		}
		NDArray weight = Objects.requireNonNull(this.weight);
		if (kernels != null) {
			NDArray y = kernels.int8Linear(x, weight, Objects.requireNonNull(this.scales));
			return this.bias == null ? y : y.add(this.bias);
		}
		if (weight.getDataType() != x.getDataType()) {
			return applyMixed(x, weight);
		}
		if (!this.transposed) {
			return Ops.linear(x, weight, this.bias);
		}
		NDArray y = x.matMul(weight);
		return this.bias == null ? y : y.add(this.bias);
	}

	/**
	 * A weight stored in another dtype than the activation (float16 beside float32): few rows are multiplied in the
	 * weight's dtype, many against the matrix widened for this call (freed with it).
	 */
	private NDArray applyMixed(NDArray x, NDArray weight) {
		DataType activation = x.getDataType();
		long rows = x.getShape().size() / x.getShape().get(x.getShape().dimension() - 1);
		NDArray y;
		if (rows <= HALF_PRODUCT_ROWS) {
			y = Ops.linear(x.toType(weight.getDataType(), false), weight, null).toType(activation, false);
		}
		else {
			NDArray wide = weight.toType(activation, true);
			// The widened copy was made in the model's manager: hand it to the request's at once.
			wide.attach(x.getManager());
			try {
				y = Ops.linear(x, wide, null);
			}
			finally {
				wide.close();
			}
		}
		return this.bias == null ? y : y.add(this.bias);
	}

	/**
	 * Rows {@code index} of the weight [out, in], as [rows, in] owned by {@code scope}: the lookup of an embedding
	 * table, which a tied LM head shares, so that the table is stored once, in the layout the head reads fastest.
	 */
	public NDArray rows(NDManager scope, NDArray index) {
		NDArray weight = this.weight;
		if (weight == null) {
			throw new IllegalStateException("a packed layer that is not a lookup table keeps no rows to look up");
		}
		if (this.scales != null) {
			// int8 rows times their scales, float32.
			NDArray values = weight.get(scope, new NDIndex("{}", index)).toType(DataType.FLOAT32, false);
			return values.mul(this.scales.get(scope, new NDIndex("{}", index)).expandDims(1));
		}
		if (!this.transposed) {
			return weight.get(scope, new NDIndex("{}", index));
		}
		return weight.get(scope, new NDIndex(":, {}", index)).transpose();
	}

	/** An [in, out] contiguous copy of {@code weight} [out, in], in the same manager; {@code weight} is closed. */
	static NDArray transpose(NDArray weight) {
		Shape shape = weight.getShape();
		NDArray view = weight.transpose();
		// A transposed matrix has no flat view, so reshaping it copies into row-major memory; clone would keep the
		// transposed strides, and the product would read the old layout again.
		NDArray flat = view.reshape(shape.size());
		NDArray out = flat.reshape(shape.get(1), shape.get(0));
		flat.close();
		view.close();
		weight.close();
		return out;
	}

}
