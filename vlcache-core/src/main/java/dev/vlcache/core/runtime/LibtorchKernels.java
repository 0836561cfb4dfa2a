package dev.vlcache.core.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;

import org.jspecify.annotations.Nullable;

/**
 * libtorch operations that DJL 0.36 has no binding for, reached through a small TorchScript module that this class
 * writes (TorchScript's zip format: the module's source, a pickled module object, no tensors) and loads with DJL's
 * own {@code JniUtils.loadModule}. Tensors cross into the module and back as DJL arrays; intermediate bfloat16
 * tensors stay inside libtorch, where they are safe (a BFLOAT16 {@code NDArray} aborts DJL 0.36's JVM).
 *
 * <p>
 * One kernel is libtorch's weight-only int8 product {@code _weight_int8pack_mm}: on this project's CPU
 * (AVX-512 BF16 and VNNI) it multiplies bfloat16 activations by int8 weights with per-row scales at 17-31 GB/s of
 * weights for one row, and 6-7x faster than float32 at 8 rows (docs/benchmarks.md, "Int8 weights and fewer native
 * calls"). Its float32 path is a slow fallback (1.6 GB/s), which is why activations pass through bfloat16. For
 * {@code weights: int8-dynamic} the matrices are instead repacked for fbgemm ({@link #packInt8}) and multiplied by
 * its dynamically quantized product, which quantizes the activations too ({@link #dynamicInt8Linear}): about as
 * fast for one row (1.9x on the 151936-row LM head), 1.6-2.6x faster at 8 rows and 4.6-6.5x at 512
 * (docs/benchmarks.md, "Int8 activations: fbgemm"). fbgemm's packed matrices are custom-class objects that stay inside libtorch; DJL only holds them.
 *
 * <p>
 * float32 matrices are reordered at load time into oneDNN's blocked layout ({@link #packFloat32}) and multiplied by
 * its product ({@link #float32PackedLinear}): libtorch's own float32 product reads one row's weights at 13 GB/s on
 * this project's AMD EPYC test machine, oneDNN's at 19-26 GB/s (docs/benchmarks.md, "Float32 products: oneDNN").
 *
 * <p>
 * Another is one decoding step's attention for a whole batch ({@link #attend}): the operations the engine would
 * otherwise call one by one through DJL, in one native call per layer instead of about four per sequence. Scores
 * are computed as {@code K q^T}, the cache as the long side of the product, which libtorch's CPU product reads at
 * up to the streaming rate where {@code q K^T} reads it at a third of that; with one query per kv head and 2048
 * entries or more, the weighted sum of values is accumulated in blocks of 256 entries instead of one product, which
 * reads them about twice as fast (docs/benchmarks.md, "Decoding attention: the cache as the long side"). libtorch's
 * own {@code scaled_dot_product_attention} was measured too and is slower for one query per kv head.
 *
 * <p>
 * The last is a whole decoder layer's decoding step ({@link #decoderStep}): norms, projections, rotary
 * embedding, the cache write, attention and the MLP, the same libtorch operations in the same order as the
 * engine's op-by-op path (bit for bit the same result), in one native call per layer instead of about fifty. On the
 * Qwen2-0.5B shape with int8 weights that took a step from 45-59 to 25-36 ms (docs/benchmarks.md, "One call per
 * decoder layer").
 *
 * <p>
 * The module belongs to the {@link NDManager} it was loaded with and is freed with it (or by {@link #close}).
 * Calls are safe from several threads: the module holds no state.
 */
public final class LibtorchKernels implements AutoCloseable {

	/**
	 * The module, in the serialized dialect TorchScript's importer reads: dtypes are c10 {@code ScalarType} numbers
	 * (4 = int64, 6 = float32, 7 = float64, 15 = bfloat16). The weight-only CPU kernel reads rows of 16 activations
	 * with aligned vector loads and has no tail, so a row length that is not a multiple of 16 (no real checkpoint's;
	 * some test fixtures') would fault: then, and on a GPU, the matrix is widened for the call instead.
	 */
	private static final String SOURCE = """
			class Kernels(Module):
			  __parameters__ = []
			  __buffers__ = []
			  training : bool
			  def forward(self: __torch__.Kernels, x: Tensor) -> Tensor:
			    return x
			  def int8_linear(self: __torch__.Kernels, x: Tensor, weight: Tensor, scales: Tensor) -> Tensor:
			    shape = x.size()
			    rows = torch.reshape(x, [-1, shape[-1]])
			    if x.is_cuda or shape[-1] % 16 != 0:
			      wide = torch.mul(weight.to(x.dtype), torch.unsqueeze(scales.to(x.dtype), 1))
			      y = torch.linear(rows, wide)
			    else:
			      y = torch._weight_int8pack_mm(rows.to(15), weight, scales.to(15)).to(x.dtype)
			    return torch.reshape(y, shape[:-1] + [weight.size(0)])
			  def pack_int8(self: __torch__.Kernels, weight: Tensor, scales: Tensor) -> __torch__.torch.classes.quantized.LinearPackedParamsBase:
			    zero_points = torch.zeros([weight.size(0)], dtype=4)
			    quantized = torch._make_per_channel_quantized_tensor(weight, scales.to(7), zero_points, 0)
			    return ops.quantized.linear_prepack(quantized, None)
			  def int8_dynamic_linear(self: __torch__.Kernels, x: Tensor, packed: __torch__.torch.classes.quantized.LinearPackedParamsBase, reduce_range: bool) -> Tensor:
			    rows = torch.reshape(x, [-1, x.size(-1)]).to(6)
			    if rows.size(0) == 1:
			      y = ops.quantized.linear_dynamic(rows, packed, reduce_range)
			    else:
			      peak = torch.clamp(torch.amax(torch.abs(rows), [-1], True), 1e-30)
			      y = torch.mul(ops.quantized.linear_dynamic(torch.div(rows, peak), packed, reduce_range), peak)
			    return torch.reshape(y.to(x.dtype), x.size()[:-1] + [y.size(-1)])
			  def pack_float32(self: __torch__.Kernels, weight: Tensor) -> Tensor:
			    return ops.mkldnn._reorder_linear_weight(weight, 1)
			  def float32_packed_linear(self: __torch__.Kernels, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
			    scalars : List[Optional[number]] = []
			    if torch.numel(bias) > 0:
			      return ops.mkldnn._linear_pointwise(x, weight, bias, "none", scalars, "")
			    return ops.mkldnn._linear_pointwise(x, weight, None, "none", scalars, "")
			  def attend_one(self: __torch__.Kernels, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
			    scores = torch.matmul(k, torch.transpose(q, 1, 2))
			    n = k.size(1)
			    if q.size(1) == 1 and n >= 2048 and not k.is_cuda:
			      p = torch.unsqueeze(torch.softmax(scores, 1), 1)
			      acc = torch.zeros([v.size(0), 1, 256, v.size(2)], dtype=6, layout=None, device=v.device)
			      v4 = torch.unsqueeze(v, 1)
			      start = 0
			      while start < n:
			        w = min(256, n - start)
			        torch.narrow(acc, 2, 0, w).addcmul_(torch.narrow(v4, 2, start, w), torch.narrow(p, 2, start, w))
			        start = start + w
			      return torch.sum(acc, [2]).to(v.dtype)
			    probs = torch.softmax(torch.contiguous(torch.transpose(scores, 1, 2)), -1)
			    return torch.matmul(probs, v)
			  def attend(self: __torch__.Kernels, queries: List[Tensor], keys: List[Tensor], values: List[Tensor]) -> Tensor:
			    outputs : List[Tensor] = []
			    for i in range(torch.len(queries)):
			      outputs.append(self.attend_one(queries[i], keys[i], values[i]))
			    return torch.cat(outputs, 0)
			  def linear(self: __torch__.Kernels, x: Tensor, weights: List[Tensor], packed: List[__torch__.torch.classes.quantized.LinearPackedParamsBase], layout: List[int], slot: int) -> Tensor:
			    kind = layout[4 + slot]
			    weight = weights[2 + 3 * slot]
			    bias = weights[4 + 3 * slot]
			    has_bias = torch.numel(bias) > 0
			    if kind == 2:
			      y = self.int8_linear(x, weight, weights[3 + 3 * slot])
			    elif kind == 3:
			      y = self.int8_dynamic_linear(x, packed[slot], layout[11] == 1)
			    elif kind == 4:
			      return self.float32_packed_linear(x, weight, bias)
			    elif kind == 1:
			      y = torch.matmul(x, weight)
			    elif weight.dtype != x.dtype:
			      if torch.numel(x) // x.size(-1) <= 16:
			        y = torch.linear(x.to(weight.dtype), weight).to(x.dtype)
			      else:
			        y = torch.linear(x, weight.to(x.dtype))
			    elif has_bias:
			      return torch.linear(x, weight, bias)
			    else:
			      y = torch.linear(x, weight)
			    if has_bias:
			      y = torch.add(y, bias)
			    return y
			  def rms_norm(self: __torch__.Kernels, x: Tensor, weight: Tensor, eps: float) -> Tensor:
			    x32 = x.to(6)
			    variance = torch.mean(torch.square(x32), [-1], True)
			    normed = torch.div(x32, torch.sqrt(torch.add(variance, eps)))
			    return torch.mul(normed.to(x.dtype), weight)
			  def rotate(self: __torch__.Kernels, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
			    half = x.size(2) // 2
			    x1 = torch.narrow(x, 2, 0, half)
			    x2 = torch.narrow(x, 2, half, x.size(2) - half)
			    rotated = torch.cat([torch.neg(x2), x1], -1)
			    return torch.add(torch.mul(x, cos), torch.mul(rotated, sin))
			  def decoder_step(self: __torch__.Kernels, x: Tensor, weights: List[Tensor], layout: List[int], scalars: List[float], cos: Tensor, sin: Tensor, keys: List[Tensor], values: List[Tensor], slots: List[int]) -> Tensor:
			    packed : List[__torch__.torch.classes.quantized.LinearPackedParamsBase] = []
			    return self.packed_decoder_step(x, weights, packed, layout, scalars, cos, sin, keys, values, slots)
			  def packed_decoder_step(self: __torch__.Kernels, x: Tensor, weights: List[Tensor], packed: List[__torch__.torch.classes.quantized.LinearPackedParamsBase], layout: List[int], scalars: List[float], cos: Tensor, sin: Tensor, keys: List[Tensor], values: List[Tensor], slots: List[int]) -> Tensor:
			    heads = layout[0]
			    kv_heads = layout[1]
			    head_dim = layout[2]
			    inter = layout[3]
			    b = x.size(0)
			    h = self.rms_norm(x, weights[0], scalars[0])
			    if layout[5] < 0:
			      qkv = torch.split_with_sizes(self.linear(h, weights, packed, layout, 0), [heads * head_dim, kv_heads * head_dim, kv_heads * head_dim], -1)
			      q = qkv[0]
			      k = qkv[1]
			      v = qkv[2]
			    else:
			      q = self.linear(h, weights, packed, layout, 0)
			      k = self.linear(h, weights, packed, layout, 1)
			      v = self.linear(h, weights, packed, layout, 2)
			    q = torch.mul(self.rotate(torch.reshape(q, [b, heads, head_dim]), cos, sin), scalars[1])
			    k = self.rotate(torch.reshape(k, [b, kv_heads, head_dim]), cos, sin)
			    v = torch.reshape(v, [b, kv_heads, head_dim])
			    qs = torch.reshape(q, [b * kv_heads, heads // kv_heads, head_dim])
			    outputs : List[Tensor] = []
			    for i in range(b):
			      n = slots[i]
			      torch.select(keys[i], 1, n).copy_(torch.select(k, 0, i))
			      torch.select(values[i], 1, n).copy_(torch.select(v, 0, i))
			      held_keys = torch.narrow(keys[i], 1, 0, n + 1)
			      held_values = torch.narrow(values[i], 1, 0, n + 1)
			      outputs.append(self.attend_one(torch.narrow(qs, 0, i * kv_heads, kv_heads), held_keys, held_values))
			    attn = torch.reshape(torch.cat(outputs, 0), [b, heads * head_dim])
			    x = torch.add(x, self.linear(attn, weights, packed, layout, 3))
			    h = self.rms_norm(x, weights[1], scalars[0])
			    if layout[9] < 0:
			      gate_up = torch.split_with_sizes(self.linear(h, weights, packed, layout, 4), [inter, inter], -1)
			      gate = gate_up[0]
			      up = gate_up[1]
			    else:
			      gate = self.linear(h, weights, packed, layout, 4)
			      up = self.linear(h, weights, packed, layout, 5)
			    activated = torch.mul(gate, torch.sigmoid(gate))
			    return torch.add(x, self.linear(torch.mul(activated, up), weights, packed, layout, 6))
			""";

	/** The pickled module object: an instance of {@code __torch__.Kernels} with {@code training = False}. */
	private static final byte[] MODULE_OBJECT = pickledModule();

	/**
	 * Whether fbgemm's products quantize activations to 7 bits instead of 8 ({@link #dynamicInt8Linear}): without
	 * VNNI its kernels sum pairs of 8-bit products in 16 bits, which can saturate (why PyTorch reduces the range by
	 * default); with VNNI ({@code avx512_vnni} or {@code avx_vnni}) they accumulate in 32 bits.
	 */
	static final boolean REDUCED_RANGE = !CpuFlags.read().contains("avx512_vnni")
			&& !CpuFlags.read().contains("avx_vnni");

	private final PtSymbolBlock module;

	private final boolean packsFloat32;

	private LibtorchKernels(PtSymbolBlock module, NDManager manager) {
		this.module = module;
		this.packsFloat32 = probeFloat32Packing(module, manager);
	}

	private static boolean probeFloat32Packing(PtSymbolBlock module, NDManager manager) {
		try (NDManager probe = manager.newSubManager(Device.cpu())) {
			IValue one = IValue.from((PtNDArray) probe.ones(new Shape(1, 1)));
			try (IValue out = IValueUtils.runMethod(module, "pack_float32", one)) {
				return true;
			}
			finally {
				one.close();
			}
		}
		catch (EngineException ex) {
			return false;
		}
	}

	/** Loads the kernels' module into {@code manager} (a PyTorch engine manager), which owns it from then on. */
	public static LibtorchKernels load(NDManager manager) {
		if (!(manager instanceof PtNDManager pt)) {
			throw new IllegalArgumentException("libtorch kernels need a PyTorch engine manager, not " + manager);
		}
		Path file = null;
		try {
			file = Files.createTempFile("vlcache-kernels", ".pt");
			Files.write(file, archive());
			return new LibtorchKernels(JniUtils.loadModule(pt, file, false, new String[0], new String[0], false), pt);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot write the libtorch kernels' module", ex);
		}
		finally {
			if (file != null) {
				try {
					Files.deleteIfExists(file);
				}
				catch (IOException ex) {
					// A leftover temp file of 1 KB is not worth failing the model for.
				}
			}
		}
	}

	/**
	 * {@code x W^T} for {@code x} [..., in] (float32 or float16) and an int8 matrix {@code weight} [out, in] whose
	 * row {@code o} stands for {@code weight[o] * scales[o]} ({@code scales} float32 [out]); the product runs on
	 * bfloat16 activations. The result has {@code x}'s dtype and belongs to {@code x}'s manager.
	 */
	public NDArray int8Linear(NDArray x, NDArray weight, NDArray scales) {
		checkInt8(weight, scales);
		return run("int8_linear", x, weight, scales);
	}

	/**
	 * {@code weight} [out, in] (int8, row {@code o} standing for {@code weight[o] * scales[o]}) repacked for
	 * fbgemm's dynamically quantized product ({@link #dynamicInt8Linear}): a copy as large as {@code weight}, which
	 * the caller may then free. It belongs to {@code weight}'s manager. CPU only: libtorch has no such kernel for
	 * GPUs.
	 */
	public PackedInt8Matrix packInt8(NDArray weight, NDArray scales) {
		checkInt8(weight, scales);
		if (!Device.Type.CPU.equals(weight.getDevice().getDeviceType())) {
			throw new IllegalArgumentException("fbgemm packs CPU matrices only, not one on " + weight.getDevice());
		}
		IValue[] inputs = { IValue.from((PtNDArray) weight), IValue.from((PtNDArray) scales) };
		IValue packed;
		try {
			packed = IValueUtils.runMethod(this.module, "pack_int8", inputs);
		}
		catch (EngineException ex) {
			throw new IllegalStateException("this libtorch build cannot pack int8 matrices for dynamically quantized "
					+ "products (weights: int8-dynamic); weights: int8 needs no quantized engine: " + ex.getMessage(),
					ex);
		}
		finally {
			closeAll(inputs);
		}
		PackedInt8Matrix matrix = new PackedInt8Matrix(packed, weight.getShape().get(0), weight.getShape().get(1));
		weight.getManager().attachInternal(NDManager.nextUid(), matrix);
		return matrix;
	}

	/**
	 * {@code x W^T} for {@code x} [..., in] (float32 or float16) and a packed int8 matrix, with the activations
	 * quantized as they arrive (fbgemm's {@code quantized::linear_dynamic}): each row is divided by its largest
	 * magnitude (one row needs no division), the rows are quantized together to unsigned 8 bits (7 on CPUs without
	 * VNNI, whose 16-bit pair sums could saturate), multiplied into int32 and scaled back. The result has
	 * {@code x}'s dtype and belongs to {@code x}'s manager.
	 */
	public NDArray dynamicInt8Linear(NDArray x, PackedInt8Matrix weight) {
		weight.checkMultiplies(x);
		IValue[] inputs = { IValue.from((PtNDArray) x), weight.packed, IValue.from(REDUCED_RANGE) };
		try (IValue out = IValueUtils.runMethod(this.module, "int8_dynamic_linear", inputs)) {
			return out.toTensor((PtNDManager) x.getManager());
		}
		finally {
			// The packed matrix stays for the next product.
			inputs[0].close();
			inputs[2].close();
		}
	}

	/**
	 * Whether this libtorch build has oneDNN's linear kernels ({@link #packFloat32}): probed once, on a 1 x 1 matrix,
	 * when the module is loaded. Builds without oneDNN keep libtorch's plain product.
	 */
	public boolean packsFloat32() {
		return this.packsFloat32;
	}

	/**
	 * {@code weight} [out, in] (float32, on a CPU) reordered into the blocked layout oneDNN's product reads
	 * ({@code mkldnn::_reorder_linear_weight}, laid out for one activation row): a copy as large as {@code weight},
	 * which the caller may then free, owned by {@code weight}'s manager. Its products
	 * ({@link #float32PackedLinear}) read a one-row decoding step's matrices 1.3-1.8x faster than libtorch's plain
	 * float32 product, 2.7x at 8 rows and 1.2x at 512 (docs/benchmarks.md, "Float32 products: oneDNN").
	 */
	public PackedFloatMatrix packFloat32(NDArray weight) {
		Shape shape = weight.getShape();
		if (weight.getDataType() != DataType.FLOAT32 || shape.dimension() != 2) {
			throw new IllegalArgumentException("oneDNN packs float32 matrices, not " + weight.getDataType() + " "
					+ shape);
		}
		if (!Device.Type.CPU.equals(weight.getDevice().getDeviceType())) {
			throw new IllegalArgumentException("oneDNN packs CPU matrices only, not one on " + weight.getDevice());
		}
		IValue input = IValue.from((PtNDArray) weight);
		try (IValue out = IValueUtils.runMethod(this.module, "pack_float32", input)) {
			// Held as an array only to own it: the blocked layout is read by oneDNN's product and nothing else.
			NDArray packed = out.toTensor((PtNDManager) weight.getManager());
			return new PackedFloatMatrix(packed, shape.get(0), shape.get(1));
		}
		finally {
			input.close();
		}
	}

	/**
	 * {@code x W^T + bias} for {@code x} [..., in] (float32) and a matrix packed by {@link #packFloat32}, the bias
	 * [out] ({@code null} for none) added inside the same oneDNN call. The result belongs to {@code x}'s manager.
	 */
	public NDArray float32PackedLinear(NDArray x, PackedFloatMatrix weight, @Nullable NDArray bias) {
		weight.checkMultiplies(x);
		// The module's "no bias": an empty array, freed with this call.
		NDArray none = bias == null ? x.getManager().create(new Shape(0), x.getDataType()) : null;
		IValue[] inputs = new IValue[3];
		try {
			inputs[0] = IValue.from((PtNDArray) x);
			inputs[1] = IValue.from((PtNDArray) weight.packed);
			inputs[2] = IValue.from((PtNDArray) (bias != null ? bias : Objects.requireNonNull(none)));
			try (IValue out = IValueUtils.runMethod(this.module, "float32_packed_linear", inputs)) {
				return out.toTensor((PtNDManager) x.getManager());
			}
		}
		finally {
			closeAll(inputs);
			if (none != null) {
				none.close();
			}
		}
	}

	private static void checkInt8(NDArray weight, NDArray scales) {
		if (weight.getDataType() != DataType.INT8 || scales.getDataType() != DataType.FLOAT32) {
			throw new IllegalArgumentException("int8 products take an int8 matrix and float32 scales, not "
					+ weight.getDataType() + " and " + scales.getDataType());
		}
	}

	/**
	 * A matrix [out, in] in a library's own layout, which only that library's product reads: native memory as large
	 * as the matrix, freed by {@link #close} or with the manager that owns it.
	 */
	public abstract static sealed class PackedMatrix implements AutoCloseable permits PackedInt8Matrix, PackedFloatMatrix {

		private final long outputs;

		private final long inputs;

		private PackedMatrix(long outputs, long inputs) {
			this.outputs = outputs;
			this.inputs = inputs;
		}

		/** Rows of the matrix: output features. */
		public long outputs() {
			return this.outputs;
		}

		/** Columns of the matrix: input features. */
		public long inputs() {
			return this.inputs;
		}

		/** Refuses activations {@code x} [..., width] whose width is not the matrix's inputs. */
		void checkMultiplies(NDArray x) {
			if (x.getShape().get(x.getShape().dimension() - 1) != this.inputs) {
				throw new IllegalArgumentException("a packed " + this.outputs + " x " + this.inputs
						+ " matrix cannot multiply rows of " + x.getShape());
			}
		}

	}

	/** An int8 matrix with its per-row scales in fbgemm's packed layout: see {@link #packInt8}. */
	public static final class PackedInt8Matrix extends PackedMatrix {

		private final IValue packed;

		private PackedInt8Matrix(IValue packed, long outputs, long inputs) {
			super(outputs, inputs);
			this.packed = packed;
		}

		@Override
		public void close() {
			this.packed.close();
		}

	}

	/** A float32 matrix in oneDNN's blocked layout: see {@link #packFloat32}. */
	public static final class PackedFloatMatrix extends PackedMatrix {

		private final NDArray packed;

		private PackedFloatMatrix(NDArray packed, long outputs, long inputs) {
			super(outputs, inputs);
			this.packed = packed;
		}

		@Override
		public void close() {
			this.packed.close();
		}

	}

	/**
	 * Attention of one query row per sequence over its own cache: sequence {@code i}'s (pre-scaled) queries
	 * [kv heads, group, head dim] against its keys and values [kv heads, entries, head dim], softmax over the
	 * entries, no mask. Its float32 rounding differs from DJL's {@code matMul} / {@code softmax} / {@code matMul}
	 * (the sums run in another order); the one-call layer step ({@link #decoderStep}) computes it bit for bit alike.
	 * Returns the outputs of all sequences concatenated, [sequences x kv heads, group, head dim], owned by the first
	 * query's manager.
	 */
	public NDArray attend(List<NDArray> queries, List<NDArray> keys, List<NDArray> values) {
		if (queries.isEmpty() || queries.size() != keys.size() || queries.size() != values.size()) {
			throw new IllegalArgumentException("attention needs queries, keys and values per sequence; got "
					+ queries.size() + ", " + keys.size() + ", " + values.size());
		}
		IValue[] inputs = { list(queries), list(keys), list(values) };
		try (IValue out = IValueUtils.runMethod(this.module, "attend", inputs)) {
			return out.toTensor((PtNDManager) queries.get(0).getManager());
		}
		finally {
			closeAll(inputs);
		}
	}

	/**
	 * One linear layer as {@link #decoderStep} multiplies by it: {@code weight} [out, in] in the activations' dtype
	 * or a half precision (multiplied as {@code DenseLayer} does), [in, out] when {@code transposed}, int8 with
	 * per-row {@code scales}, {@code packed} for a dynamically quantized product or {@code packedFloat} for oneDNN's
	 * float32 product ({@code weight} and {@code scales} then {@code null}); {@code bias} [out] or {@code null}.
	 */
	public record Projection(@Nullable NDArray weight, @Nullable NDArray scales, @Nullable NDArray bias,
			boolean transposed, @Nullable PackedInt8Matrix packed, @Nullable PackedFloatMatrix packedFloat) {

		/** A projection of a matrix held as an array (not packed). */
		public Projection(NDArray weight, @Nullable NDArray scales, @Nullable NDArray bias, boolean transposed) {
			this(weight, scales, bias, transposed, null, null);
		}

		/** A projection of an int8 matrix packed for fbgemm. */
		public Projection(PackedInt8Matrix packed, @Nullable NDArray bias) {
			this(null, null, bias, false, packed, null);
		}

		/** A projection of a float32 matrix packed for oneDNN. */
		public Projection(PackedFloatMatrix packedFloat, @Nullable NDArray bias) {
			this(null, null, bias, false, null, packedFloat);
		}

		public Projection {
			int forms = (weight != null ? 1 : 0) + (packed != null ? 1 : 0) + (packedFloat != null ? 1 : 0);
			if (forms != 1) {
				throw new IllegalArgumentException("a projection has one of a weight array, a packed int8 matrix "
						+ "or a packed float32 matrix; got " + forms);
			}
		}

		/** The kind number the module's {@code linear} switches on. */
		int kind() {
			if (this.packed != null) {
				return 3;
			}
			if (this.packedFloat != null) {
				return 4;
			}
			if (this.scales != null) {
				return 2;
			}
			return this.transposed ? 1 : 0;
		}

	}

	/**
	 * A decoder layer's weights gathered once into the module's argument form, so that a decoding step hands
	 * libtorch one prepared list instead of rebuilding it: see {@link #decoderBlock}. It holds references to the
	 * weights (no copies) and is closed with the manager that owns them.
	 */
	public static final class DecoderBlock implements AutoCloseable {

		private final IValue weights;

		/** The packed matrices of the slots, or {@code null} when no slot has one. */
		private final @Nullable IValue packed;

		private final IValue layout;

		private final IValue scalars;

		private DecoderBlock(IValue weights, @Nullable IValue packed, IValue layout, IValue scalars) {
			this.weights = weights;
			this.packed = packed;
			this.layout = layout;
			this.scalars = scalars;
		}

		@Override
		public void close() {
			// The packed matrices themselves stay with their layers: this closes only the list that refers to them.
			if (this.packed != null) {
				this.packed.close();
			}
			this.weights.close();
			this.layout.close();
			this.scalars.close();
		}

	}

	/**
	 * Prepares a Llama / Mistral / Qwen2 decoder layer with a SwiGLU (SiLU) MLP for {@link #decoderStep}.
	 * {@code projections} are q, k, v, o, gate, up and down in that order; when q, k and v are one fused matrix
	 * (rows q then k then v) k and v are {@code null}, and likewise up when gate and up are fused. The block
	 * belongs to the manager of {@code inputNorm}.
	 */
	public DecoderBlock decoderBlock(NDArray inputNorm, NDArray postAttentionNorm,
			List<@Nullable Projection> projections, int heads, int kvHeads, int headDim, int intermediate, double eps) {
		if (projections.size() != 7 || projections.get(0) == null || projections.get(3) == null
				|| projections.get(4) == null || projections.get(6) == null
				|| (projections.get(1) == null) != (projections.get(2) == null)) {
			throw new IllegalArgumentException("a decoder block takes q, k, v, o, gate, up and down (k and v, or up, "
					+ "null only when fused into q or gate); got " + projections);
		}
		if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
			throw new IllegalArgumentException(heads + " heads do not group over " + kvHeads + " kv heads");
		}
		NDManager owner = inputNorm.getManager();
		NDArray empty = owner.create(new Shape(0), inputNorm.getDataType());
		PtNDArray[] weights = new PtNDArray[2 + 3 * projections.size()];
		weights[0] = (PtNDArray) inputNorm;
		weights[1] = (PtNDArray) postAttentionNorm;
		// A packed matrix per slot; slots without one point at the first, which their kind never reads.
		IValue[] packed = new IValue[projections.size()];
		long[] layout = new long[5 + projections.size()];
		layout[0] = heads;
		layout[1] = kvHeads;
		layout[2] = headDim;
		layout[3] = intermediate;
		for (int i = 0; i < projections.size(); i++) {
			Projection p = projections.get(i);
			PackedFloatMatrix packedFloat = p == null ? null : p.packedFloat();
			weights[2 + 3 * i] = (PtNDArray) (packedFloat != null ? packedFloat.packed
					: p == null || p.weight() == null ? empty : p.weight());
			weights[3 + 3 * i] = (PtNDArray) (p == null || p.scales() == null ? empty : p.scales());
			weights[4 + 3 * i] = (PtNDArray) (p == null || p.bias() == null ? empty : p.bias());
			layout[4 + i] = p == null ? -1 : p.kind();
			PackedInt8Matrix matrix = p == null ? null : p.packed();
			packed[i] = matrix == null ? null : matrix.packed;
		}
		// After the kinds (layout[11] in the module): whether fbgemm quantizes activations to 7 bits.
		layout[4 + projections.size()] = REDUCED_RANGE ? 1 : 0;
		IValue packedList = packedList(packed);
		DecoderBlock block = new DecoderBlock(IValue.listFrom(weights), packedList, IValue.listFrom(layout),
				IValue.listFrom(eps, 1.0 / Math.sqrt(headDim)));
		owner.attachInternal(NDManager.nextUid(), block);
		return block;
	}

	/**
	 * One decoding step of a decoder layer for several sequences in one native call: {@code x} [sequences, hidden]
	 * holds a token of each, {@code cos} and {@code sin} [sequences, 1, head dim] its rotary tables. Sequence
	 * {@code i}'s key and value are written into its cache storage ([kv heads, capacity, head dim], in place) at
	 * entry {@code slots[i]}, and its attention reads entries {@code 0 .. slots[i]}, unmasked. Computes, operation
	 * for operation, what the engine's op-by-op decoding computes; returns the layer's output [sequences, hidden],
	 * owned by {@code x}'s manager.
	 */
	public NDArray decoderStep(DecoderBlock block, NDArray x, NDArray cos, NDArray sin, List<NDArray> keyStorage,
			List<NDArray> valueStorage, long[] slots) {
		long b = x.getShape().get(0);
		if (keyStorage.size() != b || valueStorage.size() != b || slots.length != b) {
			throw new IllegalArgumentException("a decoder step needs a key store, value store and slot per sequence; "
					+ "got " + keyStorage.size() + ", " + valueStorage.size() + ", " + slots.length + " for " + b);
		}
		// The block's values (inputs 1 to 4) stay for the next step; the others are this step's.
		IValue[] own = new IValue[6];
		try {
			own[0] = IValue.from((PtNDArray) x);
			own[1] = IValue.from((PtNDArray) cos);
			own[2] = IValue.from((PtNDArray) sin);
			own[3] = list(keyStorage);
			own[4] = list(valueStorage);
			own[5] = IValue.listFrom(slots);
			IValue[] inputs = block.packed == null
					? new IValue[] { own[0], block.weights, block.layout, block.scalars, own[1], own[2], own[3], own[4],
							own[5] }
					: new IValue[] { own[0], block.weights, block.packed, block.layout, block.scalars, own[1], own[2],
							own[3], own[4], own[5] };
			String method = block.packed == null ? "decoder_step" : "packed_decoder_step";
			try (IValue out = IValueUtils.runMethod(this.module, method, inputs)) {
				return out.toTensor((PtNDManager) x.getManager());
			}
		}
		finally {
			closeAll(own);
		}
	}

	/**
	 * The module's list of packed matrices, one per slot: a slot without one repeats another slot's (its kind never
	 * reads it); {@code null} when no slot has one (DJL makes no empty list of objects).
	 */
	private static @Nullable IValue packedList(@Nullable IValue[] slots) {
		IValue any = Arrays.stream(slots).filter(Objects::nonNull).findFirst().orElse(null);
		if (any == null) {
			return null;
		}
		IValue[] filled = new IValue[slots.length];
		for (int i = 0; i < slots.length; i++) {
			filled[i] = slots[i] == null ? any : slots[i];
		}
		return IValue.listFrom(filled);
	}

	private static void closeAll(@Nullable IValue[] values) {
		for (IValue value : values) {
			if (value != null) {
				value.close();
			}
		}
	}

	private static IValue list(List<NDArray> arrays) {
		PtNDArray[] pt = new PtNDArray[arrays.size()];
		for (int i = 0; i < pt.length; i++) {
			pt[i] = (PtNDArray) arrays.get(i);
		}
		return IValue.listFrom(pt);
	}

	private NDArray run(String method, NDArray x, NDArray... operands) {
		IValue[] inputs = new IValue[operands.length + 1];
		try {
			inputs[0] = IValue.from((PtNDArray) x);
			for (int i = 0; i < operands.length; i++) {
				inputs[i + 1] = IValue.from((PtNDArray) operands[i]);
			}
			try (IValue out = IValueUtils.runMethod(this.module, method, inputs)) {
				return out.toTensor((PtNDManager) x.getManager());
			}
		}
		finally {
			closeAll(inputs);
		}
	}

	@Override
	public void close() {
		this.module.close();
	}

	/** A TorchScript archive (stored, not deflated) holding the module's code and object, and no tensors. */
	private static byte[] archive() throws IOException {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
			store(zip, "archive/data.pkl", MODULE_OBJECT);
			// An empty tuple: the module has no constants.
			store(zip, "archive/constants.pkl", new byte[] { (byte) 0x80, 2, ')', '.' });
			store(zip, "archive/code/__torch__.py", SOURCE.getBytes(StandardCharsets.UTF_8));
			store(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
			store(zip, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
		}
		return bytes.toByteArray();
	}

	private static void store(ZipOutputStream zip, String name, byte[] data) throws IOException {
		ZipEntry entry = new ZipEntry(name);
		entry.setMethod(ZipEntry.STORED);
		entry.setSize(data.length);
		CRC32 crc = new CRC32();
		crc.update(data);
		entry.setCrc(crc.getValue());
		zip.putNextEntry(entry);
		zip.write(data);
		zip.closeEntry();
	}

	/**
	 * Pickle protocol 2: GLOBAL {@code __torch__ Kernels}, EMPTY_TUPLE, NEWOBJ, then the state dict
	 * {@code {"training": False}} and BUILD, which is how TorchScript's unpickler restores a module object.
	 */
	private static byte[] pickledModule() {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		out.write(0x80);
		out.write(2);
		out.writeBytes("c__torch__\nKernels\n".getBytes(StandardCharsets.US_ASCII));
		out.write(')');
		out.write(0x81);
		out.write('}');
		byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
		out.write('X');
		out.write(key.length);
		out.write(0);
		out.write(0);
		out.write(0);
		out.writeBytes(key);
		out.write(0x89);
		out.write('s');
		out.write('b');
		out.write('.');
		return out.toByteArray();
	}

}
