package dev.vlcache.core.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;

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
 * calls"). Its float32 path is a slow fallback (1.6 GB/s), which is why activations pass through bfloat16.
 *
 * <p>
 * The other is one decoding step's attention for a whole batch ({@link #attend}): the operations the engine would
 * otherwise call one by one through DJL, in one native call per layer instead of about four per sequence.
 * libtorch's own {@code scaled_dot_product_attention} was measured instead and rejected: 7.8 s against 61 ms for
 * 24 grouped-query layers of 16383 entries (docs/benchmarks.md, "Int8 weights and fewer native calls").
 *
 * <p>
 * The module belongs to the {@link NDManager} it was loaded with and is freed with it (or by {@link #close}).
 * Calls are safe from several threads: the module holds no state.
 */
public final class LibtorchKernels implements AutoCloseable {

	/**
	 * The module, in the serialized dialect TorchScript's importer reads: dtypes are c10 {@code ScalarType} numbers
	 * (15 = bfloat16). The CPU kernel reads rows of 16 activations with aligned vector loads and has no tail, so a
	 * row length that is not a multiple of 16 (no real checkpoint's; some test fixtures') would fault: then, and on
	 * a GPU, the matrix is widened for the call instead.
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
			  def attend(self: __torch__.Kernels, queries: List[Tensor], keys: List[Tensor], values: List[Tensor]) -> Tensor:
			    outputs : List[Tensor] = []
			    for i in range(torch.len(queries)):
			      scores = torch.matmul(queries[i], torch.transpose(keys[i], 1, 2))
			      outputs.append(torch.matmul(torch.softmax(scores, -1), values[i]))
			    return torch.cat(outputs, 0)
			""";

	/** The pickled module object: an instance of {@code __torch__.Kernels} with {@code training = False}. */
	private static final byte[] MODULE_OBJECT = pickledModule();

	private final PtSymbolBlock module;

	private LibtorchKernels(PtSymbolBlock module) {
		this.module = module;
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
			return new LibtorchKernels(JniUtils.loadModule(pt, file, false, new String[0], new String[0], false));
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
		if (weight.getDataType() != DataType.INT8 || scales.getDataType() != DataType.FLOAT32) {
			throw new IllegalArgumentException("int8Linear takes an int8 matrix and float32 scales, not "
					+ weight.getDataType() + " and " + scales.getDataType());
		}
		return run("int8_linear", x, weight, scales);
	}

	/**
	 * Attention of one query row per sequence over its own cache: sequence {@code i}'s (pre-scaled) queries
	 * [kv heads, group, head dim] against its keys and values [kv heads, entries, head dim], softmax over the
	 * entries, no mask. Returns the outputs of all sequences concatenated, [sequences x kv heads, group, head dim],
	 * owned by the first query's manager.
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
			for (IValue input : inputs) {
				input.close();
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
			for (IValue input : inputs) {
				if (input != null) {
					input.close();
				}
			}
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
