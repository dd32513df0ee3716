// TinyImageNet reader (tiny-imagenet-200 layout, JPEG via libjpeg); see dataset.h.
// jpeglib.h needs size_t and FILE declared before it.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>

#include <algorithm>
#include <csetjmp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "nn/dataset.h"
#include "util/files.h"

namespace paramscale::nn {

namespace {

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr c) {
  auto* e = reinterpret_cast<JpegError*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

// libjpeg only warns about corrupt or truncated data (and fills the rest with grey); a dataset
// reader treats a warning as the error it is.
void on_jpeg_message(j_common_ptr c, int level) {
  if (level < 0) on_jpeg_error(c);
}

// libjpeg reports errors by longjmp, so this function holds no C++ objects with destructors; it
// decodes `file` into `chw` (3 x size x size) or fills `why`. Grayscale JPEGs become RGB.
bool decode_jpeg(std::FILE* file, int size, uint8_t* chw, char* why, size_t why_size) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_jpeg_error;
  err.mgr.emit_message = on_jpeg_message;
  if (setjmp(err.jump)) {
    std::snprintf(why, why_size, "%s", err.message);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_stdio_src(&cinfo, file);
  jpeg_read_header(&cinfo, TRUE);
  // The header's size is checked before libjpeg allocates anything for the image.
  if (static_cast<int>(cinfo.image_width) != size || static_cast<int>(cinfo.image_height) != size) {
    std::snprintf(why, why_size, "is %ux%u, expected %dx%d", cinfo.image_width, cinfo.image_height,
                  size, size);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  if (static_cast<int>(cinfo.output_width) != size ||
      static_cast<int>(cinfo.output_height) != size || cinfo.output_components != 3) {
    std::snprintf(why, why_size, "is %ux%u, expected %dx%d", cinfo.output_width,
                  cinfo.output_height, size, size);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  JSAMPARRAY row = (*cinfo.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE,
                                              static_cast<JDIMENSION>(size * 3), 1);
  while (cinfo.output_scanline < cinfo.output_height) {
    const int y = static_cast<int>(cinfo.output_scanline);
    jpeg_read_scanlines(&cinfo, row, 1);
    for (int x = 0; x < size; ++x)
      for (int c = 0; c < 3; ++c) chw[(c * size + y) * size + x] = row[0][x * 3 + c];
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

Status append_jpeg(const std::string& path, int label, ImageSet& set) {
  if (Status s = require_regular_file(path, "image"); !s) return s;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return bad_input("cannot open image " + path);
  const size_t at = set.pixels.size();
  set.pixels.resize(at + static_cast<size_t>(set.sample_bytes()));
  char why[JMSG_LENGTH_MAX + 64] = "";
  const bool ok = decode_jpeg(f, set.width, set.pixels.data() + at, why, sizeof why);
  std::fclose(f);
  if (!ok) {
    set.pixels.resize(at);
    return bad_input("image " + path + " is not a readable " + std::to_string(set.width) + "x" +
                     std::to_string(set.height) + " JPEG: " + why);
  }
  set.labels.push_back(label);
  return {};
}

bool is_jpeg(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpeg" || ext == ".jpg";
}

}  // namespace

Result<ImageSet> read_jpeg_image(const std::string& path, int size) {
  ImageSet set;
  set.channels = 3;
  set.height = set.width = size;
  if (Status s = append_jpeg(path, 0, set); !s) return s.error();
  return set;
}

Result<DataSplits> load_tinyimagenet(const std::string& dir_flag) {
  namespace fs = std::filesystem;
  if (dir_flag.empty())
    return bad_input("--data-dir is required for tinyimagenet (the tiny-imagenet-200 folder)");
  const std::string dir =
      !fs::exists(dir_flag + "/wnids.txt") && fs::exists(dir_flag + "/tiny-imagenet-200/wnids.txt")
          ? dir_flag + "/tiny-imagenet-200"
          : dir_flag;
  for (const char* f : {"/wnids.txt", "/val/val_annotations.txt"})
    if (Status s = require_regular_file(dir + f, "dataset file"); !s) return s.error();
  std::ifstream ids(dir + "/wnids.txt");
  if (!ids) return bad_input("cannot open dataset file " + dir + "/wnids.txt");
  std::vector<std::string> wnids;
  for (std::string line; std::getline(ids, line);) {
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) wnids.push_back(line);
  }
  if (wnids.empty()) return bad_input(dir + "/wnids.txt lists no classes");
  std::sort(wnids.begin(), wnids.end());  // class index = position in sorted order (ImageFolder's)
  std::map<std::string, int> index;
  for (size_t i = 0; i < wnids.size(); ++i) index[wnids[i]] = static_cast<int>(i);

  DataSplits d;
  d.classes = static_cast<int>(wnids.size());
  d.augment_default = true;
  d.mean = {0.4802f, 0.4481f, 0.3975f};  // the commonly published TinyImageNet training statistics
  d.stddev = {0.2302f, 0.2265f, 0.2262f};
  for (ImageSet* s : {&d.train, &d.test}) {
    s->channels = 3;
    s->height = s->width = 64;
  }
  for (const std::string& wnid : wnids) {
    const std::string folder = dir + "/train/" + wnid + "/images";
    std::error_code ec;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(folder, ec))
      if (is_jpeg(e.path())) files.push_back(e.path().string());
    if (ec || files.empty()) return bad_input("no training images in " + folder);
    std::sort(files.begin(), files.end());
    for (const std::string& f : files)
      if (Status s = append_jpeg(f, index[wnid], d.train); !s) return s.error();
  }
  // The official test split has no public labels: the labelled validation split is the test set.
  const std::string notes = dir + "/val/val_annotations.txt";
  std::ifstream ann(notes);
  if (!ann) return bad_input("cannot open dataset file " + notes);
  int line_no = 0;
  for (std::string line; std::getline(ann, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream cols(line);
    std::string file, wnid;
    if (!std::getline(cols, file, '\t') || !std::getline(cols, wnid, '\t'))
      return bad_input(notes + " line " + std::to_string(line_no) + ": expected FILE<TAB>WNID");
    wnid.erase(wnid.find_last_not_of(" \r") + 1);
    const auto it = index.find(wnid);
    if (it == index.end())
      return bad_input(notes + " line " + std::to_string(line_no) + ": class '" + wnid +
                       "' is not in wnids.txt");
    if (Status s = append_jpeg(dir + "/val/images/" + file, it->second, d.test); !s)
      return s.error();
  }
  if (d.test.labels.empty()) return bad_input(notes + " lists no images");
  return d;
}

}  // namespace paramscale::nn
