#include <algorithm>
#include <cmath>

#include "bench/result.h"

namespace tvlite::bench {
namespace {

double nearest_rank(const std::vector<double>& sorted, double p) {
  const double last = double(sorted.size() - 1);
  return sorted[size_t(std::min(last, p / 100.0 * double(sorted.size())))];
}

}  // namespace

Spread spread_of(std::vector<double> v) {
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.n = int(v.size());
  s.min = v.front();
  s.max = v.back();
  s.p25 = nearest_rank(v, 25);
  s.median = nearest_rank(v, 50);
  s.p75 = nearest_rank(v, 75);
  s.p90 = nearest_rank(v, 90);
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / double(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.stdev = v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0;
  std::vector<double> dev(v.size());
  for (size_t i = 0; i < v.size(); ++i) dev[i] = std::fabs(v[i] - s.median);
  std::sort(dev.begin(), dev.end());
  s.mad = nearest_rank(dev, 50);
  return s;
}

}  // namespace tvlite::bench
