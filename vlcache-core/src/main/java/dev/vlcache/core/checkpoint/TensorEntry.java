package dev.vlcache.core.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where one tensor lives: its file, element type, shape and the absolute byte range of its data in that file.
 *
 * @param name the tensor's name as stored in the file
 * @param file the safetensors file holding it
 * @param dtype element type
 * @param shape dimensions
 * @param offset absolute byte offset of the data in the file
 * @param length byte length of the data
 */
public record TensorEntry(String name, Path file, TensorDType dtype, long[] shape, long offset, long length) {

	public long elementCount() {
		long n = 1;
		for (long d : this.shape) {
			n *= d;
		}
		return n;
	}

	public String shapeString() {
		return Arrays.toString(this.shape);
	}

}
