package dev.vlcache.core.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageDecoderTest {

	private static byte[] resource(String name) throws IOException {
		try (InputStream in = ImageDecoderTest.class.getResourceAsStream("/images/" + name)) {
			return in.readAllBytes();
		}
	}

	private static RgbImage reference() throws IOException {
		return ImageDecoder.decode(resource("reference.png"), "reference.png");
	}

	private static byte[] encode(BufferedImage image, String format) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		assertThat(ImageIO.write(image, format, out)).as("writer for " + format).isTrue();
		return out.toByteArray();
	}

	private static BufferedImage toBuffered(RgbImage img, int type) {
		BufferedImage b = new BufferedImage(img.width(), img.height(), type);
		for (int y = 0; y < img.height(); y++) {
			for (int x = 0; x < img.width(); x++) {
				int i = y * img.width() + x;
				b.setRGB(x, y, (img.planes()[0][i] << 16) | (img.planes()[1][i] << 8) | img.planes()[2][i]);
			}
		}
		return b;
	}

	@Test
	void losslessWebpDecodesToThePngPixels() throws IOException {
		RgbImage png = reference();
		RgbImage webp = ImageDecoder.decode(resource("lossless.webp"), "lossless.webp");
		assertThat(webp.width()).isEqualTo(png.width());
		for (int c = 0; c < 3; c++) {
			assertThat(webp.planes()[c]).containsExactly(png.planes()[c]);
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "bmp", "gif", "jpeg", "png" })
	void everyFormatDecodes(String format) throws IOException {
		RgbImage png = reference();
		RgbImage decoded = ImageDecoder.decode(encode(toBuffered(png, BufferedImage.TYPE_INT_RGB), format), format);
		assertThat(decoded.width()).isEqualTo(120);
		assertThat(decoded.height()).isEqualTo(96);
		double diff = 0;
		for (int c = 0; c < 3; c++) {
			for (int i = 0; i < png.planes()[c].length; i++) {
				diff += Math.abs(decoded.planes()[c][i] - png.planes()[c][i]);
			}
		}
		double mean = diff / (3.0 * png.planes()[0].length);
		// BMP and PNG are exact; GIF quantises to 256 colours and JPEG is lossy.
		assertThat(mean).isLessThan(format.equals("bmp") || format.equals("png") ? 1e-9 : 12);
	}

	@Test
	void greyImagesKeepTheirStoredLevels() throws IOException {
		BufferedImage grey = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_GRAY);
		grey.getRaster().setSamples(0, 0, 4, 1, 0, new int[] { 0, 64, 128, 255 });
		RgbImage decoded = ImageDecoder.decode(encode(grey, "png"), "grey.png");
		assertThat(decoded.planes()[0]).containsExactly(0, 64, 128, 255);
		assertThat(decoded.planes()[2]).containsExactly(0, 64, 128, 255);
	}

	@Test
	void alphaIsDroppedNotComposited() throws IOException {
		BufferedImage argb = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
		argb.setRGB(0, 0, 0x10C08040);
		RgbImage decoded = ImageDecoder.decode(encode(argb, "png"), "alpha.png");
		assertThat(decoded.planes()[0][0]).isEqualTo(0xC0);
		assertThat(decoded.planes()[1][0]).isEqualTo(0x80);
		assertThat(decoded.planes()[2][0]).isEqualTo(0x40);
	}

	@Test
	void badBytesAreNamedErrors() throws IOException {
		assertThatThrownBy(() -> ImageDecoder.decode(new byte[0], "empty.png")).isInstanceOf(ImageException.class)
			.hasMessageContaining("empty.png is empty");
		assertThatThrownBy(() -> ImageDecoder.decode("%PDF-1.4 hello".getBytes(), "doc.pdf")).isInstanceOf(ImageException.class)
			.hasMessageContaining("doc.pdf is not a supported image");
		byte[] png = resource("reference.png");
		byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
		assertThatThrownBy(() -> ImageDecoder.decode(truncated, "cut.png")).isInstanceOf(ImageException.class)
			.hasMessageContaining("cut.png");
	}

}
