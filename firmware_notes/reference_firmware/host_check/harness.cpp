// Runs dorsi_xiao.ino on a PC against the recording fakes in include/, through one scripted session,
// and prints what a central would see (one line per event). tests/test_firmware_sketch.py decodes the output
// with sensors/profiles/dorsi.py. Simulated time: the sensor clock is TIMER4's CC[0], advanced by delay() and
// by the harness between loop() calls; no real time passes and no threads run.
#include <cstdlib>

#include "LSM6DS3.h"
#include "bluefruit.h"

void setup();
void loop();
extern BLECharacteristic controlChr;
extern BLECharacteristic configChr;
extern BLECharacteristic samplesChr;
extern BLEDis deviceInfo;
extern BLEBas battery;

NRF_TIMER_Type host_timer4;
AdafruitBluefruit Bluefruit;

namespace {

uint64_t simulated_us = 0;
uint16_t last_reply_status = 0xFFFF;
bool strict_softdevice = false;  // refuse ATT codes in the range old SoftDevice headers call reserved
TaskFunction_t sender_task = nullptr;
const uint16_t IMU_ANALOG_VBAT = 1500;

struct StopTask {};

void printHex(const char* tag, const uint8_t* data, size_t len) {
  std::printf("%s ", tag);
  for (size_t i = 0; i < len; i++) std::printf("%02x", data[i]);
  std::printf("\n");
}

void advance(uint32_t us) {
  host_timer4.CC[0] += us;
  simulated_us += us;
}

void drainSender() {
  if (sender_task == nullptr) return;
  try {
    sender_task(nullptr);
  } catch (const StopTask&) {
  }
}

void run(uint32_t duration_us, bool drain = true) {
  uint64_t end = simulated_us + duration_us;
  while (simulated_us < end) {
    loop();
    if (drain) drainSender();
    advance(50);
  }
}

void command(std::vector<uint8_t> bytes) {
  ble_gatts_evt_write_t request;
  std::memset(&request, 0, sizeof(request));
  request.op = BLE_GATTS_OP_WRITE_REQ;
  request.len = (uint16_t)bytes.size();
  if (!bytes.empty()) std::memcpy(request.data, bytes.data(), bytes.size());
  last_reply_status = 0xFFFF;
  if (controlChr.write_authorize_cb) controlChr.write_authorize_cb(1, &controlChr, &request);
  std::printf("REPLY %04x ", last_reply_status);
  printHex("COMMAND", bytes.data(), bytes.size());
  printHex("CONFIG", configChr.value.data(), configChr.value.size());
}

void bleEvent(uint16_t id, uint16_t conn_handle, uint16_t mtu) {
  ble_evt_t evt;
  std::memset(&evt, 0, sizeof(evt));
  evt.header.evt_id = id;
  evt.evt.gap_evt.conn_handle = conn_handle;
  evt.evt.gatts_evt.params.exchange_mtu_request.client_rx_mtu = mtu;
  evt.evt.gattc_evt.params.exchange_mtu_rsp.server_rx_mtu = mtu;
  if (Bluefruit.event_cb) Bluefruit.event_cb(&evt);
}

void connect(uint16_t conn_handle) {
  std::printf("EVENT connected\n");
  bleEvent(BLE_GAP_EVT_CONNECTED, conn_handle, 0);
  if (Bluefruit.Periph.connect_cb) Bluefruit.Periph.connect_cb(conn_handle);
  std::printf("MTU_REQUESTED %u\n", Bluefruit.connection.requested_mtu);
}

void disconnect(uint16_t conn_handle) {
  std::printf("EVENT disconnected\n");
  bleEvent(BLE_GAP_EVT_DISCONNECTED, conn_handle, 0);
  if (Bluefruit.Periph.disconnect_cb) Bluefruit.Periph.disconnect_cb(conn_handle, 0x13);
  printHex("CONFIG", configChr.value.data(), configChr.value.size());
}

void phase(const char* name) { std::printf("PHASE %s\n", name); }

}  // namespace

// ---- Arduino core ----------------------------------------------------------------------------------
void pinMode(int, int) {}
void digitalWrite(int, int) {}
int analogRead(int pin) { return pin == PIN_VBAT ? IMU_ANALOG_VBAT : 0; }
void analogReference(int) {}
void analogReadResolution(int) {}
void delay(uint32_t ms) { advance(ms * 1000); }
uint32_t millis() { return (uint32_t)(simulated_us / 1000); }

// ---- SoftDevice --------------------------------------------------------------------------------------
uint32_t sd_clock_hfclk_request() { return NRF_SUCCESS; }
uint32_t sd_clock_hfclk_is_running(uint32_t* is_running) {
  *is_running = 1;
  return NRF_SUCCESS;
}
uint32_t sd_ble_gatts_rw_authorize_reply(uint16_t, const ble_gatts_rw_authorize_reply_params_t* reply) {
  uint16_t status = reply->type == BLE_GATTS_AUTHORIZE_TYPE_WRITE ? reply->params.write.gatt_status
                                                                  : reply->params.read.gatt_status;
  if (strict_softdevice && status >= 0x0112 && status <= 0x017F) return 7;  // NRF_ERROR_INVALID_PARAM
  last_reply_status = status;
  return NRF_SUCCESS;
}

// ---- FreeRTOS ----------------------------------------------------------------------------------------
QueueHandle_t xQueueCreate(size_t length, size_t item_size) {
  HostQueue* q = new HostQueue();
  q->length = length;
  q->item_size = item_size;
  return q;
}
BaseType_t xQueueSend(QueueHandle_t q, const void* item, TickType_t) {
  if (q->items.size() >= q->length) return pdFALSE;
  const uint8_t* p = static_cast<const uint8_t*>(item);
  q->items.push_back(std::vector<uint8_t>(p, p + q->item_size));
  return pdTRUE;
}
BaseType_t xQueueReceive(QueueHandle_t q, void* item, TickType_t ticks) {
  if (q->items.empty()) {
    if (ticks == portMAX_DELAY) throw StopTask();
    return pdFALSE;
  }
  std::memcpy(item, q->items.front().data(), q->item_size);
  q->items.pop_front();
  return pdTRUE;
}
BaseType_t xTaskCreate(TaskFunction_t fn, const char*, uint32_t, void*, int, TaskHandle_t*) {
  sender_task = fn;
  return pdTRUE;
}

// ---- Bluefruit -----------------------------------------------------------------------------------------
BLECharacteristic::BLECharacteristic(const uint8_t uuid128[16]) { std::memcpy(uuid, uuid128, 16); }
void BLECharacteristic::setProperties(uint8_t prop) { properties = prop; }
void BLECharacteristic::setPermission(SecureMode_t, SecureMode_t) {}
void BLECharacteristic::setMaxLen(uint16_t len) { max_len = len; }
void BLECharacteristic::setFixedLen(uint16_t len) { max_len = len; }
void BLECharacteristic::setReadAuthorizeCallback(read_authorize_cb_t fp, bool) { read_authorize_cb = fp; }
void BLECharacteristic::setWriteAuthorizeCallback(write_authorize_cb_t fp, bool) { write_authorize_cb = fp; }
int BLECharacteristic::begin() {
  begun = true;
  return 0;
}
uint16_t BLECharacteristic::write(const void* data, uint16_t len) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  value.assign(p, p + len);
  return len;
}
bool BLECharacteristic::notify(uint16_t, const void* data, uint16_t len) {
  printHex("NOTIFY", static_cast<const uint8_t*>(data), len);
  return true;
}

BLEService::BLEService(const uint8_t uuid128[16]) { std::memcpy(uuid, uuid128, 16); }
int BLEService::begin() { return 0; }

void BLEDis::setManufacturer(const char* s) { manufacturer = s; }
void BLEDis::setModel(const char* s) { model = s; }
void BLEDis::setFirmwareRev(const char* s) { firmware = s; }
int BLEDis::begin() { return 0; }

int BLEBas::begin() { return 0; }
bool BLEBas::write(uint8_t value) {
  level = value;
  return true;
}
bool BLEBas::notify(uint8_t value) { return write(value); }

bool BLEConnection::requestMtuExchange(uint16_t mtu) {
  requested_mtu = mtu;
  return true;
}

bool BLEPeriph::setConnInterval(uint16_t min, uint16_t max) {
  min_interval = min;
  max_interval = max;
  return true;
}
void BLEPeriph::setConnectCallback(ble_connect_callback_t fp) { connect_cb = fp; }
void BLEPeriph::setDisconnectCallback(ble_disconnect_callback_t fp) { disconnect_cb = fp; }

bool BLEAdvertising::addFlags(uint8_t flags) {
  data.insert(data.end(), {2, 0x01, flags});
  return true;
}
bool BLEAdvertising::addName() {
  data.push_back((uint8_t)(Bluefruit.name.size() + 1));
  data.push_back(0x09);
  data.insert(data.end(), Bluefruit.name.begin(), Bluefruit.name.end());
  return true;
}
bool BLEAdvertising::addService(BLEService& service) {
  data.push_back(17);
  data.push_back(0x07);
  data.insert(data.end(), service.uuid, service.uuid + 16);
  return true;
}
void BLEAdvertising::restartOnDisconnect(bool) {}
void BLEAdvertising::setInterval(uint16_t, uint16_t) {}
void BLEAdvertising::setFastTimeout(uint16_t) {}
bool BLEAdvertising::start(uint16_t) {
  started = true;
  return true;
}

void AdafruitBluefruit::configPrphBandwidth(uint8_t) {}
bool AdafruitBluefruit::begin(uint8_t, uint8_t) { return true; }
bool AdafruitBluefruit::setTxPower(int8_t) { return true; }
uint8_t AdafruitBluefruit::getAddr(uint8_t mac[6]) {
  const uint8_t address[6] = {0xAB, 0x12, 0x34, 0x56, 0x78, 0xC0};
  std::memcpy(mac, address, 6);
  return 1;
}
void AdafruitBluefruit::setName(const char* str) { name = str; }
void AdafruitBluefruit::setEventCallback(event_cb_t fp) { event_cb = fp; }
BLEConnection* AdafruitBluefruit::Connection(uint16_t) { return &connection; }

// ---- IMU -----------------------------------------------------------------------------------------------
LSM6DS3::LSM6DS3(uint8_t, uint8_t addr) : address(addr) {}
status_t LSM6DS3::begin() { return IMU_SUCCESS; }
status_t LSM6DS3::writeRegister(uint8_t offset, uint8_t data) {
  std::printf("REG %02x %02x\n", offset, data);
  return IMU_SUCCESS;
}
// Sample i reads gyro (1000+i, 2000+i, 3000+i) and accel (-1000-i, -2000-i, -3000-i), in register order.
status_t LSM6DS3::readRegisterRegion(uint8_t* output, uint8_t offset, uint8_t length) {
  if (offset != 0x22 || length != 12) {
    std::printf("BADREAD %02x %u\n", offset, length);
    return IMU_HW_ERROR;
  }
  int i = (int)(reads++ % 20000);
  const int16_t values[6] = {(int16_t)(1000 + i),  (int16_t)(2000 + i),  (int16_t)(3000 + i),
                             (int16_t)(-1000 - i), (int16_t)(-2000 - i), (int16_t)(-3000 - i)};
  for (int k = 0; k < 6; k++) {
    uint16_t u = (uint16_t)values[k];
    output[2 * k] = (uint8_t)(u & 0xFF);
    output[2 * k + 1] = (uint8_t)(u >> 8);
  }
  return IMU_SUCCESS;
}

// ---- the session -----------------------------------------------------------------------------------------
int main() {
  host_timer4.CC[0] = 0xFFFFFFFFu - 700000u;  // the sensor clock wraps about 0.7 s into the session
  phase("setup");
  setup();
  std::printf("NAME %s\n", Bluefruit.name.c_str());
  printHex("ADV", Bluefruit.Advertising.data.data(), Bluefruit.Advertising.data.size());
  std::printf("ADV_STARTED %d\n", Bluefruit.Advertising.started ? 1 : 0);
  std::printf("DIS %s|%s|%s\n", deviceInfo.manufacturer.c_str(), deviceInfo.model.c_str(), deviceInfo.firmware.c_str());
  std::printf("BATTERY %d\n", battery.level);
  std::printf("BATTERY_ANALOG %u\n", IMU_ANALOG_VBAT);
  std::printf("CONN_INTERVAL %u %u\n", Bluefruit.Periph.min_interval, Bluefruit.Periph.max_interval);
  std::printf("SAMPLES_MAX_LEN %u\n", samplesChr.max_len);
  printHex("CONFIG", configChr.value.data(), configChr.value.size());
  ble_gatts_evt_read_t read_request = {0, 0};
  last_reply_status = 0xFFFF;
  if (samplesChr.read_authorize_cb) samplesChr.read_authorize_cb(1, &samplesChr, &read_request);
  std::printf("SAMPLES_READ %04x\n", last_reply_status);

  phase("mtu23");
  connect(1);
  command({0x01});
  run(200000);

  phase("stream100");
  bleEvent(BLE_GATTS_EVT_EXCHANGE_MTU_REQUEST, 1, 247);
  run(500000);

  phase("stream200");
  command({0x03, 0xC8, 0x00});
  run(500000);

  phase("ranges");
  command({0x04, 0x01, 0x00});
  run(200000);

  phase("holdup");
  advance(50000);
  run(200000);

  phase("congestion");
  run(500000, false);
  drainSender();
  run(100000);

  phase("bad_commands");
  command({0x03, 0x37, 0x00});
  command({0x05});
  command({0x01, 0x00});
  command({});
  command({0x04, 0x04, 0x00});
  command({0x04, 0x00, 0x04});
  command({0x03, 0xC8});

  phase("strict_softdevice");
  strict_softdevice = true;
  command({0x03, 0x37, 0x00});
  strict_softdevice = false;

  phase("stop");
  command({0x02});
  run(200000);

  phase("disconnect");
  command({0x01});
  run(100000);
  disconnect(1);
  run(100000);

  phase("mtu40");
  connect(2);
  bleEvent(BLE_GATTS_EVT_EXCHANGE_MTU_REQUEST, 2, 40);
  command({0x01});
  run(200000);

  phase("stream50");
  bleEvent(BLE_GATTS_EVT_EXCHANGE_MTU_REQUEST, 2, 247);
  command({0x03, 0x32, 0x00});
  run(300000);

  phase("end");
  std::fflush(stdout);
  return 0;
}
