package dev.vlcache.sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import dev.vlcache.demo.task.Colour;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.SceneObject;
import dev.vlcache.demo.task.Shape;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Drives the page in Debian's headless Chromium ({@code chromium} and {@code chromium-driver}, which
 * {@code .ci/run} installs): uploads a page, asks, and checks the streamed answer and the per-layer chart. Saves
 * a screenshot as {@code sample-app/target/sample-app.png}, from which the README's picture is refreshed.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class BrowserTest {

	private static final Path CHROMEDRIVER = Paths.get(System.getProperty("vlcache.chromedriver", "/usr/bin/chromedriver"));

	private static final Path CHROMIUM = Paths.get(System.getProperty("vlcache.chromium", "/usr/bin/chromium"));

	@LocalServerPort
	int port;

	private ChromeDriver driver;

	@BeforeEach
	void startBrowser(@TempDir Path profile) {
		assertThat(CHROMEDRIVER).as("chromedriver (apt-get install chromium chromium-driver; .ci/run does)").isExecutable();
		ChromeOptions options = new ChromeOptions();
		options.setBinary(CHROMIUM.toFile());
		// No network beyond localhost here: keep Chromium from reaching out at start.
		options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
				"--disable-sync", "--user-data-dir=" + profile, "--window-size=1280,900");
		ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
			.usingAnyFreePort()
			.build();
		this.driver = new ChromeDriver(service, options);
	}

	@AfterEach
	void stopBrowser() {
		if (this.driver != null) {
			this.driver.quit();
		}
	}

	@Test
	void uploadAskWatchTheAnswerStreamAndSeeTheChart(@TempDir Path dir) throws Exception {
		Scene page = new Scene(List.of(new SceneObject(Colour.RED, Shape.CIRCLE, 'K', 3, 4),
				new SceneObject(Colour.GRAY, Shape.SQUARE, 'A', 10, 12),
				new SceneObject(Colour.GRAY, Shape.TRIANGLE, 'M', 13, 2),
				new SceneObject(Colour.GRAY, Shape.DIAMOND, 'S', 6, 9),
				new SceneObject(Colour.GRAY, Shape.CIRCLE, 'T', 1, 14)));
		Path image = dir.resolve("page.png");
		Files.write(image, page.png());

		this.driver.get("http://localhost:" + this.port + "/");
		this.driver.manage().window().setSize(new Dimension(1280, 900));
		this.driver.findElement(By.id("file")).sendKeys(image.toString());
		WebDriverWait wait = new WebDriverWait(this.driver, Duration.ofSeconds(60));
		wait.until(d -> d.findElements(By.cssSelector("#thumbs img")).size() == 1);
		WebElement question = this.driver.findElement(By.id("question"));
		question.clear();
		question.sendKeys("What colour is the coloured shape?");
		new Select(this.driver.findElement(By.id("policy"))).selectByValue("vl-cache");
		this.driver.findElement(By.id("ask")).click();

		wait.until(d -> d.findElement(By.id("status")).getText().startsWith("Done"));
		// The demo model reads the coloured shape's colour right on every test question (evaluation/accuracy.md).
		assertThat(this.driver.findElement(By.id("answer")).getText()).isEqualTo("red");
		assertThat(this.driver.findElement(By.id("error")).isDisplayed()).isFalse();
		assertThat(this.driver.findElement(By.id("retained")).getText()).matches("\\d+\\.\\d%");
		assertThat(this.driver.findElement(By.id("kv-before")).getText()).endsWith("iB");
		assertThat(this.driver.findElement(By.id("r-policy")).getText()).isEqualTo("vl-cache @ 10%");
		List<WebElement> budgets = this.driver.findElements(By.cssSelector("#chart rect.budget"));
		List<WebElement> sparsity = this.driver.findElements(By.cssSelector("#chart rect.sparsity"));
		assertThat(budgets).hasSize(4);
		assertThat(sparsity).hasSize(4);
		for (WebElement bar : budgets) {
			assertThat(Double.parseDouble(bar.getAttribute("height"))).isPositive();
		}
		// Under target/, so that a test run leaves the checkout clean; the README's picture is copied from here.
		Path shot = Paths.get("target", "sample-app.png");
		Files.createDirectories(shot.getParent());
		Files.write(shot, this.driver.getScreenshotAs(OutputType.BYTES));

		// A corrupt upload shows the server's message instead of an answer.
		Path broken = dir.resolve("broken.png");
		Files.write(broken, java.util.Arrays.copyOf(page.png(), 200));
		this.driver.findElement(By.id("file")).sendKeys(broken.toString());
		this.driver.findElement(By.id("ask")).click();
		wait.until(d -> d.findElement(By.id("error")).isDisplayed());
		assertThat(this.driver.findElement(By.id("error")).getText()).contains("Unreadable image", "broken.png");
	}

}
