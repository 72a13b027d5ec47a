// Host stand-in for Seeed Arduino LSM6DS3 (the calls dorsi_xiao.ino makes), a recording fake for harness.cpp.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#define I2C_MODE 0
#define SPI_MODE 1

typedef enum {
  IMU_SUCCESS,
  IMU_HW_ERROR,
  IMU_NOT_SUPPORTED,
  IMU_GENERIC_ERROR,
  IMU_OUT_OF_BOUNDS,
  IMU_ALL_ONES_WARNING,
} status_t;

struct SensorSettings {
  uint8_t accelODROff = 1;
};

class LSM6DS3 {
 public:
  LSM6DS3(uint8_t bus_type = I2C_MODE, uint8_t address = 0x6B);
  status_t begin();
  status_t writeRegister(uint8_t offset, uint8_t data);
  status_t readRegisterRegion(uint8_t* output, uint8_t offset, uint8_t length);
  SensorSettings settings;

  uint8_t address;
  std::vector<std::pair<uint8_t, uint8_t>> register_writes;
  uint32_t reads = 0;
};
