// Host stand-in for the parts of the Arduino core, FreeRTOS, the nRF52 SoftDevice and Adafruit Bluefruit
// that dorsi_xiao.ino uses, so the sketch compiles and runs on a PC (host_check/README.md).
// Declarations follow the real APIs' signatures; behaviour is a recording fake driven by harness.cpp.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

// ---- Arduino core -------------------------------------------------------------------------------
enum { LOW = 0, HIGH = 1, INPUT = 0, OUTPUT = 1 };
enum { AR_DEFAULT = 0, AR_INTERNAL = 1 };
const int LED_RED = 11;
const int PIN_VBAT = 32;
const int VBAT_ENABLE = 14;
void pinMode(int pin, int mode);
void digitalWrite(int pin, int value);
int analogRead(int pin);
void analogReference(int reference);
void analogReadResolution(int bits);
void delay(uint32_t ms);
uint32_t millis();

// ---- nRF52 registers and SoftDevice --------------------------------------------------------------
struct NRF_TIMER_Type {
  volatile uint32_t TASKS_START;
  volatile uint32_t TASKS_STOP;
  volatile uint32_t TASKS_CLEAR;
  volatile uint32_t TASKS_CAPTURE[6];
  volatile uint32_t MODE;
  volatile uint32_t BITMODE;
  volatile uint32_t PRESCALER;
  volatile uint32_t CC[6];
};
extern NRF_TIMER_Type host_timer4;
#define NRF_TIMER4 (&host_timer4)
const uint32_t TIMER_MODE_MODE_Timer = 0;
const uint32_t TIMER_BITMODE_BITMODE_32Bit = 3;

const uint32_t NRF_SUCCESS = 0;
uint32_t sd_clock_hfclk_request();
uint32_t sd_clock_hfclk_is_running(uint32_t* is_running);

const uint16_t BLE_CONN_HANDLE_INVALID = 0xFFFF;
const uint16_t BLE_GATT_ATT_MTU_DEFAULT = 23;
const uint8_t BLE_GAP_ADV_FLAGS_LE_ONLY_GENERAL_DISC_MODE = 0x06;
const uint16_t BLE_GATT_STATUS_SUCCESS = 0x0000;
const uint16_t BLE_GATT_STATUS_ATTERR_INVALID = 0x0100;
const uint16_t BLE_GATT_STATUS_ATTERR_READ_NOT_PERMITTED = 0x0102;
const uint16_t BLE_GATT_STATUS_ATTERR_WRITE_NOT_PERMITTED = 0x0103;
const uint8_t BLE_GATTS_AUTHORIZE_TYPE_READ = 1;
const uint8_t BLE_GATTS_AUTHORIZE_TYPE_WRITE = 2;
const uint8_t BLE_GATTS_OP_WRITE_REQ = 1;

struct ble_gatts_evt_write_t {
  uint16_t handle;
  uint8_t op;
  uint16_t offset;
  uint16_t len;
  uint8_t data[32];
};
struct ble_gatts_evt_read_t {
  uint16_t handle;
  uint16_t offset;
};
struct ble_gatts_authorize_params_t {
  uint16_t gatt_status;
  uint8_t update : 1;
  uint16_t offset;
  uint16_t len;
  const uint8_t* p_data;
};
struct ble_gatts_rw_authorize_reply_params_t {
  uint8_t type;
  union {
    ble_gatts_authorize_params_t read;
    ble_gatts_authorize_params_t write;
  } params;
};
uint32_t sd_ble_gatts_rw_authorize_reply(uint16_t conn_handle, const ble_gatts_rw_authorize_reply_params_t* reply);

enum {
  BLE_GAP_EVT_CONNECTED = 0x10,
  BLE_GAP_EVT_DISCONNECTED = 0x11,
  BLE_GATTC_EVT_EXCHANGE_MTU_RSP = 0x3A,
  BLE_GATTS_EVT_EXCHANGE_MTU_REQUEST = 0x55,
};
struct ble_evt_t {
  struct {
    uint16_t evt_id;
  } header;
  struct {
    struct {
      uint16_t conn_handle;
    } gap_evt;
    struct {
      struct {
        struct {
          uint16_t client_rx_mtu;
        } exchange_mtu_request;
      } params;
    } gatts_evt;
    struct {
      struct {
        struct {
          uint16_t server_rx_mtu;
        } exchange_mtu_rsp;
      } params;
    } gattc_evt;
  } evt;
};

// ---- FreeRTOS --------------------------------------------------------------------------------------
typedef int BaseType_t;
typedef uint32_t TickType_t;
const BaseType_t pdTRUE = 1;
const BaseType_t pdFALSE = 0;
const TickType_t portMAX_DELAY = 0xFFFFFFFF;
enum { TASK_PRIO_LOWEST = 0, TASK_PRIO_LOW = 1, TASK_PRIO_NORMAL = 2, TASK_PRIO_HIGH = 3 };
struct HostQueue {
  size_t item_size;
  size_t length;
  std::deque<std::vector<uint8_t>> items;
};
typedef HostQueue* QueueHandle_t;
typedef void* TaskHandle_t;
typedef void (*TaskFunction_t)(void*);
QueueHandle_t xQueueCreate(size_t length, size_t item_size);
BaseType_t xQueueSend(QueueHandle_t queue, const void* item, TickType_t ticks);
BaseType_t xQueueReceive(QueueHandle_t queue, void* item, TickType_t ticks);
BaseType_t xTaskCreate(TaskFunction_t fn, const char* name, uint32_t stack_words, void* arg, int priority,
                       TaskHandle_t* handle);
#define taskENTER_CRITICAL() ((void)0)
#define taskEXIT_CRITICAL() ((void)0)

// ---- Bluefruit ---------------------------------------------------------------------------------------
enum SecureMode_t { SECMODE_NO_ACCESS = 0x00, SECMODE_OPEN = 0x11 };
enum { CHR_PROPS_READ = 0x02, CHR_PROPS_WRITE = 0x08, CHR_PROPS_NOTIFY = 0x10 };
enum { BANDWIDTH_MAX = 4 };

class BLECharacteristic {
 public:
  typedef void (*read_authorize_cb_t)(uint16_t conn_hdl, BLECharacteristic* chr, ble_gatts_evt_read_t* request);
  typedef void (*write_authorize_cb_t)(uint16_t conn_hdl, BLECharacteristic* chr, ble_gatts_evt_write_t* request);
  explicit BLECharacteristic(const uint8_t uuid128[16]);
  void setProperties(uint8_t prop);
  void setPermission(SecureMode_t read_perm, SecureMode_t write_perm);
  void setMaxLen(uint16_t max_len);
  void setFixedLen(uint16_t fixed_len);
  void setReadAuthorizeCallback(read_authorize_cb_t fp, bool use_ada_callback = true);
  void setWriteAuthorizeCallback(write_authorize_cb_t fp, bool use_ada_callback = true);
  int begin();
  uint16_t write(const void* data, uint16_t len);
  bool notify(uint16_t conn_hdl, const void* data, uint16_t len);

  uint8_t uuid[16];
  read_authorize_cb_t read_authorize_cb = nullptr;
  write_authorize_cb_t write_authorize_cb = nullptr;
  uint8_t properties = 0;
  uint16_t max_len = 0;
  bool begun = false;
  std::vector<uint8_t> value;
  std::vector<std::vector<uint8_t>> notifications;
};

class BLEService {
 public:
  explicit BLEService(const uint8_t uuid128[16]);
  int begin();
  uint8_t uuid[16];
};

class BLEDis {
 public:
  void setManufacturer(const char* s);
  void setModel(const char* s);
  void setFirmwareRev(const char* s);
  int begin();
  std::string manufacturer, model, firmware;
};

class BLEBas {
 public:
  int begin();
  bool write(uint8_t level);
  bool notify(uint8_t level);
  int level = -1;
};

class BLEConnection {
 public:
  bool requestMtuExchange(uint16_t mtu);
  uint16_t requested_mtu = 0;
};

typedef void (*ble_connect_callback_t)(uint16_t conn_handle);
typedef void (*ble_disconnect_callback_t)(uint16_t conn_handle, uint8_t reason);

class BLEPeriph {
 public:
  bool setConnInterval(uint16_t min, uint16_t max);
  void setConnectCallback(ble_connect_callback_t fp);
  void setDisconnectCallback(ble_disconnect_callback_t fp);
  uint16_t min_interval = 0, max_interval = 0;
  ble_connect_callback_t connect_cb = nullptr;
  ble_disconnect_callback_t disconnect_cb = nullptr;
};

class BLEAdvertising {
 public:
  bool addFlags(uint8_t flags);
  bool addName();
  bool addService(BLEService& service);
  void restartOnDisconnect(bool enable);
  void setInterval(uint16_t fast, uint16_t slow);
  void setFastTimeout(uint16_t sec);
  bool start(uint16_t timeout);
  std::vector<uint8_t> data;
  bool started = false;
};

class AdafruitBluefruit {
 public:
  typedef void (*event_cb_t)(ble_evt_t* evt);
  void configPrphBandwidth(uint8_t bw);
  bool begin(uint8_t prph_count = 1, uint8_t central_count = 0);
  bool setTxPower(int8_t power);
  uint8_t getAddr(uint8_t mac[6]);
  void setName(const char* str);
  void setEventCallback(event_cb_t fp);
  BLEConnection* Connection(uint16_t conn_hdl);
  BLEPeriph Periph;
  BLEAdvertising Advertising;
  std::string name;
  event_cb_t event_cb = nullptr;
  BLEConnection connection;
};
extern AdafruitBluefruit Bluefruit;
