package dev.vlcache.core.runtime;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeviceSelectorTest {

	@Test
	void autoPrefersTheGpuWhenThereIsOne() {
		assertThat(DeviceSelector.selectDevice("auto", 2)).isEqualTo(Device.gpu(0));
		assertThat(DeviceSelector.selectDevice("auto", 0)).isEqualTo(Device.cpu());
	}

	@Test
	void explicitDevices() {
		assertThat(DeviceSelector.selectDevice("cpu", 1)).isEqualTo(Device.cpu());
		assertThat(DeviceSelector.selectDevice("gpu", 1)).isEqualTo(Device.gpu(0));
		assertThat(DeviceSelector.selectDevice("GPU:1", 2)).isEqualTo(Device.gpu(1));
		assertThat(DeviceSelector.selectDevice("cuda:0", 1)).isEqualTo(Device.gpu(0));
	}

	@Test
	void impossibleDevicesExplainWhy() {
		assertThatThrownBy(() -> DeviceSelector.selectDevice("gpu", 0)).isInstanceOf(InvalidDeviceException.class)
			.hasMessageContaining("sees no GPU")
			.hasMessageContaining("pytorch-native-cu");
		assertThatThrownBy(() -> DeviceSelector.selectDevice("gpu:3", 2)).hasMessageContaining("gpu:0 to gpu:1");
		assertThatThrownBy(() -> DeviceSelector.selectDevice("tpu", 0)).isInstanceOf(InvalidDeviceException.class)
			.hasMessageContaining("expected auto, cpu, gpu or gpu:N")
			.satisfies(ex -> assertThat(((InvalidDeviceException) ex).requested()).isEqualTo("tpu"));
	}

	@Test
	void dtypeDefaultsToFloat32OnCpuAndFloat16OnGpu() {
		assertThat(DeviceSelector.selectDtype("auto", Device.cpu())).isEqualTo(DataType.FLOAT32);
		assertThat(DeviceSelector.selectDtype("auto", Device.gpu())).isEqualTo(DataType.FLOAT16);
		assertThat(DeviceSelector.selectDtype("float16", Device.cpu())).isEqualTo(DataType.FLOAT16);
		assertThat(DeviceSelector.selectDtype("fp32", Device.gpu())).isEqualTo(DataType.FLOAT32);
	}

	@Test
	void bfloat16IsRefusedBeforeAnyArrayExists() {
		assertThatThrownBy(() -> DeviceSelector.selectDtype("bfloat16", Device.cpu())).isInstanceOf(InvalidDtypeException.class)
			.hasMessageContaining("bfloat16").hasMessageContaining("not supported");
		assertThatThrownBy(() -> DeviceSelector.selectDtype("int8", Device.cpu())).isInstanceOf(InvalidDtypeException.class)
			.hasMessageContaining("dtype 'int8'");
	}

}
