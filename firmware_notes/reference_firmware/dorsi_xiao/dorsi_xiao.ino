// dorsi reference firmware: the dorsi open GATT profile v1 (firmware_notes/gatt_profile.md) on a
// Seeed XIAO nRF52840 Sense (nRF52840 + LSM6DS3TR-C IMU + LiPo charger).
//
// Board package: "Seeed nRF52 Boards" (Seeeduino:nrf52, Adafruit Bluefruit nRF52 inside).
// Library: "Seeed Arduino LSM6DS3". Build and flash: README.md next to this file.
//
// The "Protocol" section is read by tests/test_firmware_sketch.py and checked against
// sensors/profiles/dorsi.py and gatt_profile.md: change it only together with them.

#include <bluefruit.h>
#include <LSM6DS3.h>

// ================================================================================================
// Protocol: dorsi open GATT profile v1
// ================================================================================================

// 128-bit UUIDs, least significant byte first (the SoftDevice's order):
// service d0a51000-7c2e-4c9b-9f3e-5a1c6b2e8d40, samples ...1001, control ...1002, configuration ...1003.
const uint8_t DORSI_SERVICE_UUID[16] = {0x40, 0x8d, 0x2e, 0x6b, 0x1c, 0x5a, 0x3e, 0x9f,
                                        0x9b, 0x4c, 0x2e, 0x7c, 0x00, 0x10, 0xa5, 0xd0};
const uint8_t DORSI_SAMPLES_UUID[16] = {0x40, 0x8d, 0x2e, 0x6b, 0x1c, 0x5a, 0x3e, 0x9f,
                                        0x9b, 0x4c, 0x2e, 0x7c, 0x01, 0x10, 0xa5, 0xd0};
const uint8_t DORSI_CONTROL_UUID[16] = {0x40, 0x8d, 0x2e, 0x6b, 0x1c, 0x5a, 0x3e, 0x9f,
                                        0x9b, 0x4c, 0x2e, 0x7c, 0x02, 0x10, 0xa5, 0xd0};
const uint8_t DORSI_CONFIG_UUID[16] = {0x40, 0x8d, 0x2e, 0x6b, 0x1c, 0x5a, 0x3e, 0x9f,
                                       0x9b, 0x4c, 0x2e, 0x7c, 0x03, 0x10, 0xa5, 0xd0};

const uint8_t FORMAT_VERSION = 1;
const uint8_t FIRMWARE_VERSION_MAJOR = 1;
const uint8_t FIRMWARE_VERSION_MINOR = 0;
const uint8_t FIRMWARE_VERSION_PATCH = 0;
const char FIRMWARE_REVISION[] = "1.0.0";
const char MANUFACTURER_NAME[] = "dorsi open hardware";
const char MODEL_NUMBER[] = "dorsi XIAO nRF52840 Sense";

// Advertised name: "dorsi-" + the last two hex digits of the device address.
const char NAME_PREFIX[] = "dorsi-";
const uint8_t NAME_SUFFIX_LENGTH = 2;
const uint8_t MAX_NAME_LENGTH = 8;

const uint16_t REQUESTED_ATT_MTU = 247;
const uint8_t MAX_SAMPLES_PER_PACKET = 19;

const uint8_t CMD_START = 0x01;
const uint8_t CMD_STOP = 0x02;
const uint8_t CMD_SET_RATE = 0x03;
const uint8_t CMD_SET_RANGES = 0x04;
const uint8_t ATT_ERROR_VALUE_NOT_ALLOWED = 0x13;

const uint16_t DEFAULT_RATE_HZ = 100;
const uint8_t DEFAULT_ACC_RANGE_CODE = 2;
const uint8_t DEFAULT_GYRO_RANGE_CODE = 3;

// The wire format is little-endian; so is the Cortex-M4, so packed structs are the bytes on the air.
struct __attribute__((packed)) SamplesHeader {
  uint8_t format_version;
  uint8_t sample_count;
  uint8_t acc_range_code;
  uint8_t gyro_range_code;
  uint32_t first_sequence;
  uint32_t first_timestamp_us;
  uint16_t sample_interval_us;
};

struct __attribute__((packed)) RawSample {
  int16_t ax;
  int16_t ay;
  int16_t az;
  int16_t gx;
  int16_t gy;
  int16_t gz;
};

struct __attribute__((packed)) ConfigValue {
  uint8_t format_version;
  uint16_t rate_hz;
  uint8_t acc_range_code;
  uint8_t gyro_range_code;
  uint8_t streaming;
  uint8_t firmware_major;
  uint8_t firmware_minor;
  uint8_t firmware_patch;
};

// Full-scale codes. Sensitivities: LSM6DS3TR-C datasheet, table 3; FS bits: registers CTRL1_XL and CTRL2_G.
struct AccRange {
  uint8_t code;
  uint8_t full_scale_g;
  uint16_t sensitivity_ug_per_lsb;
  uint8_t fs_xl_bits;
};

const AccRange ACC_RANGES[] = {
    {0, 2, 61, 0b00},
    {1, 4, 122, 0b10},
    {2, 8, 244, 0b11},
    {3, 16, 488, 0b01},
};

struct GyroRange {
  uint8_t code;
  uint16_t full_scale_dps;
  uint32_t sensitivity_udps_per_lsb;
  uint8_t fs_g_bits;
};

const GyroRange GYRO_RANGES[] = {
    {0, 250, 8750, 0b00},
    {1, 500, 17500, 0b01},
    {2, 1000, 35000, 0b10},
    {3, 2000, 70000, 0b11},
};

// Output rates. The IMU runs at about twice the output rate (ODR bits of CTRL1_XL / CTRL2_G: 104, 208,
// 416 Hz) and is read on the sensor clock's exact grid; samples_per_packet gives 50 notifications/s.
struct RateSetting {
  uint16_t rate_hz;
  uint16_t interval_us;
  uint8_t odr_bits;
  uint8_t samples_per_packet;
};

const RateSetting RATES[] = {
    {50, 20000, 0b0100, 1},
    {100, 10000, 0b0101, 2},
    {200, 5000, 0b0110, 4},
};

const uint8_t ACC_RANGE_COUNT = sizeof(ACC_RANGES) / sizeof(ACC_RANGES[0]);
const uint8_t GYRO_RANGE_COUNT = sizeof(GYRO_RANGES) / sizeof(GYRO_RANGES[0]);

struct __attribute__((packed)) SamplesPacket {
  SamplesHeader header;
  RawSample samples[MAX_SAMPLES_PER_PACKET];
};

static_assert(sizeof(SamplesHeader) == 14, "samples header is 14 bytes");
static_assert(sizeof(RawSample) == 12, "a sample is 12 bytes");
static_assert(sizeof(ConfigValue) == 9, "configuration is 9 bytes");
static_assert(sizeof(SamplesPacket) <= REQUESTED_ATT_MTU - 3, "a full packet fits one notification");
static_assert(sizeof(NAME_PREFIX) - 1 + NAME_SUFFIX_LENGTH <= MAX_NAME_LENGTH, "name fits the advertisement");

// ================================================================================================
// Hardware: LSM6DS3TR-C registers (datasheet section 9), XIAO battery divider, sensor clock
// ================================================================================================

const uint8_t IMU_I2C_ADDRESS = 0x6A;
const uint8_t REG_CTRL1_XL = 0x10;
const uint8_t REG_CTRL2_G = 0x11;
const uint8_t REG_CTRL3_C = 0x12;
const uint8_t REG_CTRL4_C = 0x13;
const uint8_t REG_OUTX_L_G = 0x22;  // gyro x y z, then accel x y z: 12 bytes, little-endian
const uint8_t CTRL3_C_BDU = 0x40;   // block data update: low and high bytes from the same sample
const uint8_t CTRL3_C_IF_INC = 0x04;

// VBAT -- 1 MOhm -- P0.31 (PIN_VBAT) -- 510 kOhm -- P0.14 (VBAT_ENABLE). VBAT_ENABLE stays LOW: Seeed warns
// that driving it HIGH while charging can put P0.31 above its 3.6 V limit ((the divider draws a few microamps)).
const float VBAT_DIVIDER = (1000.0f + 510.0f) / 510.0f;
const float ADC_FULL_SCALE_V = 3.6f;  // AR_INTERNAL: 0.6 V reference with gain 1/6
const float BATTERY_EMPTY_V = 3.3f;   // linear LiPo estimate between these two: approximate, not a fuel gauge
const float BATTERY_FULL_V = 4.2f;
const uint32_t BATTERY_PERIOD_MS = 30000;

// micros() on this core steps with the 1024 Hz RTOS tick, so the profile's microsecond clock is TIMER4
// counting at 1 MHz from the 32 MHz crystal: 32 bits wrap at 2^32 us (71.6 min) exactly as the profile says.
NRF_TIMER_Type* const SENSOR_CLOCK = NRF_TIMER4;

const uint8_t PACKET_QUEUE_LENGTH = 16;

// ================================================================================================
// State
// ================================================================================================

BLEService dorsiService(DORSI_SERVICE_UUID);
BLECharacteristic samplesChr(DORSI_SAMPLES_UUID);
BLECharacteristic controlChr(DORSI_CONTROL_UUID);
BLECharacteristic configChr(DORSI_CONFIG_UUID);
BLEDis deviceInfo;
BLEBas battery;
LSM6DS3 imu(I2C_MODE, IMU_I2C_ADDRESS);

struct QueuedPacket {
  uint16_t length;
  uint8_t bytes[sizeof(SamplesPacket)];
};

QueueHandle_t packetQueue;
char deviceName[MAX_NAME_LENGTH + 1];

// Written by the BLE task (control writes, disconnects), read by loop(): guarded by a critical section.
ConfigValue wantedConfig;
volatile uint16_t connHandle = BLE_CONN_HANDLE_INVALID;
volatile uint16_t attMtu = 0;  // 0 while not connected

// Owned by loop().
ConfigValue appliedConfig;
const RateSetting* currentRate = nullptr;
uint32_t nextSequence = 0;  // samples (grid slots) counted since power-up, wraps at 2^32
uint32_t nextDueUs = 0;
SamplesPacket packet;
uint8_t packetCapacity = 0;
uint32_t lastBatteryMs = 0;

// ================================================================================================
// Helpers
// ================================================================================================

const RateSetting* findRate(uint16_t rate_hz) {
  for (const RateSetting& r : RATES) {
    if (r.rate_hz == rate_hz) return &r;
  }
  return nullptr;
}

ConfigValue readWantedConfig() {
  taskENTER_CRITICAL();
  ConfigValue copy = wantedConfig;
  taskEXIT_CRITICAL();
  return copy;
}

void storeWantedConfig(const ConfigValue& next) {
  taskENTER_CRITICAL();
  wantedConfig = next;
  taskEXIT_CRITICAL();
  configChr.write(&next, sizeof(next));
}

void startSensorClock() {
  sd_clock_hfclk_request();
  uint32_t running = 0;
  while (!running) {
    sd_clock_hfclk_is_running(&running);
    delay(1);
  }
  SENSOR_CLOCK->TASKS_STOP = 1;
  SENSOR_CLOCK->MODE = TIMER_MODE_MODE_Timer;
  SENSOR_CLOCK->BITMODE = TIMER_BITMODE_BITMODE_32Bit;
  SENSOR_CLOCK->PRESCALER = 4;  // 16 MHz / 2^4 = 1 MHz
  SENSOR_CLOCK->TASKS_CLEAR = 1;
  SENSOR_CLOCK->TASKS_START = 1;
}

uint32_t sensorClockUs() {
  SENSOR_CLOCK->TASKS_CAPTURE[0] = 1;
  return SENSOR_CLOCK->CC[0];
}

uint8_t readBatteryPercent() {
  uint32_t sum = 0;
  for (int i = 0; i < 8; i++) sum += analogRead(PIN_VBAT);
  float volts = (sum / 8.0f) * ADC_FULL_SCALE_V / 4095.0f * VBAT_DIVIDER;
  float percent = (volts - BATTERY_EMPTY_V) / (BATTERY_FULL_V - BATTERY_EMPTY_V) * 100.0f;
  if (percent < 0.0f) return 0;
  if (percent > 100.0f) return 100;
  return (uint8_t)(percent + 0.5f);
}

bool configureImu(const RateSetting& r, uint8_t acc_code, uint8_t gyro_code) {
  uint8_t ctrl1 = (r.odr_bits << 4) | (ACC_RANGES[acc_code].fs_xl_bits << 2);
  uint8_t ctrl2 = (r.odr_bits << 4) | (GYRO_RANGES[gyro_code].fs_g_bits << 2);
  return imu.writeRegister(REG_CTRL1_XL, ctrl1) == IMU_SUCCESS && imu.writeRegister(REG_CTRL2_G, ctrl2) == IMU_SUCCESS;
}

bool startImu() {
  imu.settings.accelODROff = 0;
  if (imu.begin() != IMU_SUCCESS) return false;
  if (imu.writeRegister(REG_CTRL3_C, CTRL3_C_BDU | CTRL3_C_IF_INC) != IMU_SUCCESS) return false;
  if (imu.writeRegister(REG_CTRL4_C, 0x00) != IMU_SUCCESS) return false;
  return configureImu(*findRate(DEFAULT_RATE_HZ), DEFAULT_ACC_RANGE_CODE, DEFAULT_GYRO_RANGE_CODE);
}

int16_t le16(const uint8_t* p) {
  return (int16_t)(p[0] | (p[1] << 8));
}

uint8_t samplesPerNotification(uint16_t mtu) {
  if (mtu < 3 + sizeof(SamplesHeader) + sizeof(RawSample)) return 0;
  uint16_t fit = (mtu - 3 - sizeof(SamplesHeader)) / sizeof(RawSample);
  uint8_t wanted = currentRate->samples_per_packet;
  return fit < wanted ? fit : wanted;
}

// ================================================================================================
// Packets: loop() assembles, the sender task notifies
// ================================================================================================

void flushPacket() {
  static QueuedPacket queued;
  uint8_t count = packet.header.sample_count;
  if (count == 0) return;
  queued.length = sizeof(SamplesHeader) + count * sizeof(RawSample);
  memcpy(queued.bytes, &packet, queued.length);
  packet.header.sample_count = 0;
  if (xQueueSend(packetQueue, &queued, 0) != pdTRUE) {
    static QueuedPacket oldest;  // queue full: the oldest packet is lost, the receiver sees the sequence gap
    xQueueReceive(packetQueue, &oldest, 0);
    xQueueSend(packetQueue, &queued, 0);
  }
}

void appendSample(uint32_t sequence, uint32_t timestamp_us, const RawSample& sample, uint8_t capacity) {
  SamplesHeader& h = packet.header;
  if (h.sample_count == 0) {
    h.format_version = FORMAT_VERSION;
    h.acc_range_code = appliedConfig.acc_range_code;
    h.gyro_range_code = appliedConfig.gyro_range_code;
    h.first_sequence = sequence;
    h.first_timestamp_us = timestamp_us;
    h.sample_interval_us = currentRate->interval_us;
    packetCapacity = capacity;
  }
  packet.samples[h.sample_count++] = sample;
  if (h.sample_count >= packetCapacity) flushPacket();
}

// One grid slot: read the IMU and append the sample when it can be streamed; a slot that cannot be read
// is a lost sample (its sequence number is skipped, so the packet is closed first).
void takeSample(uint32_t sequence, uint32_t timestamp_us) {
  if (!appliedConfig.streaming) return;
  uint8_t capacity = samplesPerNotification(attMtu);
  if (capacity == 0) return;
  uint8_t raw[12];
  if (imu.readRegisterRegion(raw, REG_OUTX_L_G, sizeof(raw)) != IMU_SUCCESS) {
    flushPacket();
    return;
  }
  RawSample s;
  s.gx = le16(raw + 0);
  s.gy = le16(raw + 2);
  s.gz = le16(raw + 4);
  s.ax = le16(raw + 6);
  s.ay = le16(raw + 8);
  s.az = le16(raw + 10);
  appendSample(sequence, timestamp_us, s, capacity);
}

void senderTask(void*) {
  static QueuedPacket queued;
  for (;;) {
    if (xQueueReceive(packetQueue, &queued, portMAX_DELAY) != pdTRUE) continue;
    uint16_t conn = connHandle;
    if (conn == BLE_CONN_HANDLE_INVALID || queued.length > attMtu - 3) continue;
    samplesChr.notify(conn, queued.bytes, queued.length);
  }
}

// ================================================================================================
// BLE callbacks (BLE task)
// ================================================================================================

bool acceptCommand(const uint8_t* data, uint16_t len) {
  if (len == 0) return false;
  ConfigValue next = readWantedConfig();
  switch (data[0]) {
    case CMD_START:
      if (len != 1) return false;
      next.streaming = 1;
      break;
    case CMD_STOP:
      if (len != 1) return false;
      next.streaming = 0;
      break;
    case CMD_SET_RATE: {
      if (len != 3) return false;
      uint16_t rate_hz = data[1] | (data[2] << 8);
      if (findRate(rate_hz) == nullptr) return false;
      next.rate_hz = rate_hz;
      break;
    }
    case CMD_SET_RANGES:
      if (len != 3 || data[1] >= ACC_RANGE_COUNT || data[2] >= GYRO_RANGE_COUNT) return false;
      next.acc_range_code = data[1];
      next.gyro_range_code = data[2];
      break;
    default:
      return false;
  }
  storeWantedConfig(next);
  return true;
}

void onControlWrite(uint16_t conn_handle, BLECharacteristic* chr, ble_gatts_evt_write_t* request) {
  (void)chr;
  bool accepted = request->op == BLE_GATTS_OP_WRITE_REQ && acceptCommand(request->data, request->len);
  ble_gatts_rw_authorize_reply_params_t reply;
  memset(&reply, 0, sizeof(reply));
  reply.type = BLE_GATTS_AUTHORIZE_TYPE_WRITE;
  if (accepted) {
    reply.params.write.gatt_status = BLE_GATT_STATUS_SUCCESS;
    reply.params.write.update = 1;
    reply.params.write.offset = 0;
    reply.params.write.len = request->len;
    reply.params.write.p_data = request->data;
  } else {
    reply.params.write.gatt_status = BLE_GATT_STATUS_ATTERR_INVALID + ATT_ERROR_VALUE_NOT_ALLOWED;
  }
  if (sd_ble_gatts_rw_authorize_reply(conn_handle, &reply) != NRF_SUCCESS && !accepted) {
    // older SoftDevice headers call 0x13 reserved; if the stack refuses it, still reject the write
    reply.params.write.gatt_status = BLE_GATT_STATUS_ATTERR_WRITE_NOT_PERMITTED;
    sd_ble_gatts_rw_authorize_reply(conn_handle, &reply);
  }
}

void onSamplesRead(uint16_t conn_handle, BLECharacteristic* chr, ble_gatts_evt_read_t* request) {
  (void)chr;
  (void)request;
  ble_gatts_rw_authorize_reply_params_t reply;
  memset(&reply, 0, sizeof(reply));
  reply.type = BLE_GATTS_AUTHORIZE_TYPE_READ;
  reply.params.read.gatt_status = BLE_GATT_STATUS_ATTERR_READ_NOT_PERMITTED;
  sd_ble_gatts_rw_authorize_reply(conn_handle, &reply);
}

void onConnect(uint16_t conn_handle) {
  BLEConnection* conn = Bluefruit.Connection(conn_handle);
  if (conn != nullptr) conn->requestMtuExchange(REQUESTED_ATT_MTU);
}

void onDisconnect(uint16_t conn_handle, uint8_t reason) {
  (void)conn_handle;
  (void)reason;
  ConfigValue next = readWantedConfig();
  next.streaming = 0;
  storeWantedConfig(next);
}

void onBleEvent(ble_evt_t* evt) {
  switch (evt->header.evt_id) {
    case BLE_GAP_EVT_CONNECTED:
      connHandle = evt->evt.gap_evt.conn_handle;
      attMtu = BLE_GATT_ATT_MTU_DEFAULT;
      break;
    case BLE_GAP_EVT_DISCONNECTED:
      connHandle = BLE_CONN_HANDLE_INVALID;
      attMtu = 0;
      break;
    case BLE_GATTS_EVT_EXCHANGE_MTU_REQUEST: {
      uint16_t mtu = evt->evt.gatts_evt.params.exchange_mtu_request.client_rx_mtu;
      attMtu = mtu < REQUESTED_ATT_MTU ? mtu : REQUESTED_ATT_MTU;
      break;
    }
    case BLE_GATTC_EVT_EXCHANGE_MTU_RSP: {
      uint16_t mtu = evt->evt.gattc_evt.params.exchange_mtu_rsp.server_rx_mtu;
      attMtu = mtu < REQUESTED_ATT_MTU ? mtu : REQUESTED_ATT_MTU;
      break;
    }
    default:
      break;
  }
}

// ================================================================================================
// Setup
// ================================================================================================

void haltWithRedLed() {
  pinMode(LED_RED, OUTPUT);
  bool on = false;
  for (;;) {
    on = !on;
    digitalWrite(LED_RED, on ? LOW : HIGH);  // the XIAO's LEDs light when driven LOW
    delay(250);
  }
}

void startBle() {
  Bluefruit.configPrphBandwidth(BANDWIDTH_MAX);  // ATT MTU up to 247
  Bluefruit.begin(1, 0);
  Bluefruit.setTxPower(4);

  uint8_t address[6];
  Bluefruit.getAddr(address);  // least significant byte first: address[0] is the last two hex digits
  snprintf(deviceName, sizeof(deviceName), "%s%02X", NAME_PREFIX, address[0]);
  Bluefruit.setName(deviceName);

  Bluefruit.Periph.setConnInterval(6, 12);  // 7.5-15 ms, units of 1.25 ms
  Bluefruit.Periph.setConnectCallback(onConnect);
  Bluefruit.Periph.setDisconnectCallback(onDisconnect);
  Bluefruit.setEventCallback(onBleEvent);

  deviceInfo.setManufacturer(MANUFACTURER_NAME);
  deviceInfo.setModel(MODEL_NUMBER);
  deviceInfo.setFirmwareRev(FIRMWARE_REVISION);
  deviceInfo.begin();

  battery.begin();
  battery.write(readBatteryPercent());

  dorsiService.begin();

  samplesChr.setProperties(CHR_PROPS_NOTIFY);
  samplesChr.setPermission(SECMODE_OPEN, SECMODE_NO_ACCESS);
  samplesChr.setMaxLen(sizeof(SamplesPacket));
  samplesChr.setReadAuthorizeCallback(onSamplesRead, false);
  samplesChr.begin();

  controlChr.setProperties(CHR_PROPS_WRITE);
  controlChr.setPermission(SECMODE_NO_ACCESS, SECMODE_OPEN);
  controlChr.setMaxLen(20);  // longer than any command, so bad lengths reach the check and get 0x13
  controlChr.setWriteAuthorizeCallback(onControlWrite, false);
  controlChr.begin();

  configChr.setProperties(CHR_PROPS_READ);
  configChr.setPermission(SECMODE_OPEN, SECMODE_NO_ACCESS);
  configChr.setFixedLen(sizeof(ConfigValue));
  configChr.begin();
}

void startAdvertising() {
  Bluefruit.Advertising.addFlags(BLE_GAP_ADV_FLAGS_LE_ONLY_GENERAL_DISC_MODE);
  Bluefruit.Advertising.addName();
  Bluefruit.Advertising.addService(dorsiService);
  Bluefruit.Advertising.restartOnDisconnect(true);
  Bluefruit.Advertising.setInterval(32, 244);  // 20 ms for 30 s, then 152.5 ms; units of 0.625 ms
  Bluefruit.Advertising.setFastTimeout(30);
  Bluefruit.Advertising.start(0);
}

void setup() {
  pinMode(VBAT_ENABLE, OUTPUT);
  digitalWrite(VBAT_ENABLE, LOW);
  analogReference(AR_INTERNAL);
  analogReadResolution(12);

  if (!startImu()) haltWithRedLed();

  startBle();
  startSensorClock();

  wantedConfig = ConfigValue{FORMAT_VERSION,         DEFAULT_RATE_HZ,        DEFAULT_ACC_RANGE_CODE,
                             DEFAULT_GYRO_RANGE_CODE, 0,                      FIRMWARE_VERSION_MAJOR,
                             FIRMWARE_VERSION_MINOR,  FIRMWARE_VERSION_PATCH};
  appliedConfig = wantedConfig;
  storeWantedConfig(wantedConfig);
  currentRate = findRate(DEFAULT_RATE_HZ);

  packetQueue = xQueueCreate(PACKET_QUEUE_LENGTH, sizeof(QueuedPacket));
  xTaskCreate(senderTask, "dorsi-tx", 512, nullptr, TASK_PRIO_NORMAL, nullptr);

  startAdvertising();
  nextDueUs = sensorClockUs() + currentRate->interval_us;
}

// ================================================================================================
// Loop: the sampling grid
// ================================================================================================

void applyWantedConfig() {
  ConfigValue wanted = readWantedConfig();
  bool rate_changed = wanted.rate_hz != appliedConfig.rate_hz;
  bool ranges_changed = wanted.acc_range_code != appliedConfig.acc_range_code ||
                        wanted.gyro_range_code != appliedConfig.gyro_range_code;
  if (rate_changed || ranges_changed || wanted.streaming != appliedConfig.streaming) flushPacket();
  if (rate_changed || ranges_changed) {
    const RateSetting* next_rate = findRate(wanted.rate_hz);
    configureImu(*next_rate, wanted.acc_range_code, wanted.gyro_range_code);
    // the grid goes on from the last slot taken, at the new interval
    nextDueUs = nextDueUs - currentRate->interval_us + next_rate->interval_us;
    currentRate = next_rate;
  }
  appliedConfig = wanted;
}

void loop() {
  applyWantedConfig();

  uint32_t interval_us = currentRate->interval_us;
  int32_t late_us = (int32_t)(sensorClockUs() - nextDueUs);
  if (late_us < 0) {
    if (late_us <= -1000) delay(1);
    return;
  }
  if (late_us >= 2 * (int32_t)interval_us) {
    // the loop was held up: the slots it missed are lost samples, skipped in the sequence numbers
    uint32_t missed = (uint32_t)late_us / interval_us;
    flushPacket();
    nextSequence += missed;
    nextDueUs += missed * interval_us;
  }
  takeSample(nextSequence, nextDueUs);
  nextSequence++;
  nextDueUs += interval_us;

  if (millis() - lastBatteryMs >= BATTERY_PERIOD_MS) {
    lastBatteryMs = millis();
    battery.notify(readBatteryPercent());
  }
}
