// Fits a Gaussian mixture (full covariances) to the rows of a CSV file with
// the emclust C++ library and prints the fitted model, one "key value..."
// line per quantity, every number with 17 significant digits.
//
//   fit_csv DATA.csv N_COMPONENTS [INITIAL_MEANS.csv]
//
// DATA.csv: one sample per line, comma-separated numbers; a first line that
// is not numeric (a header) is skipped. With INITIAL_MEANS.csv (one mean per
// line) EM starts from those means, equal weights and identity covariances;
// without it, from a K-means clustering seeded with 0.
#include <cstdlib>
#include <emclust/gaussian_mixture.hpp>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// The numbers of a CSV file as a row-major matrix.
emclust::RowMatrixXd read_csv(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::vector<double> values;
    emclust::Index rows = 0, cols = -1;
    std::string line;
    for (bool first = true; std::getline(in, line); first = false) {
        if (line.empty()) continue;
        std::vector<double> row;
        std::stringstream fields(line);
        std::string field;
        bool numeric = true;
        while (std::getline(fields, field, ',')) {
            char* end = nullptr;
            row.push_back(std::strtod(field.c_str(), &end));
            numeric = numeric && end != field.c_str();
        }
        if (!numeric && first) continue;  // a header
        if (!numeric ||
            (cols >= 0 && static_cast<emclust::Index>(row.size()) != cols)) {
            throw std::runtime_error(path + ": bad line '" + line + "'");
        }
        cols = static_cast<emclust::Index>(row.size());
        values.insert(values.end(), row.begin(), row.end());
        ++rows;
    }
    if (rows == 0) throw std::runtime_error(path + ": no data");
    return Eigen::Map<emclust::RowMatrixXd>(values.data(), rows, cols);
}

void print_row(const char* key, emclust::Index index, const double* data,
               emclust::Index size) {
    std::cout << key << ' ' << index;
    for (emclust::Index j = 0; j < size; ++j) std::cout << ' ' << data[j];
    std::cout << '\n';
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4) {
        std::cerr << "usage: " << argv[0]
                  << " DATA.csv N_COMPONENTS [INITIAL_MEANS.csv]\n";
        return 2;
    }
    try {
        const emclust::RowMatrixXd X = read_csv(argv[1]);
        const emclust::Index k = std::stol(argv[2]), d = X.cols();

        emclust::GaussianMixtureOptions options;
        options.n_components = k;
        options.covariance_type = emclust::CovarianceType::full;
        options.n_threads = 0;  // every usable core; the result does not depend on it
        if (argc == 4) {
            options.means_init = read_csv(argv[3]);
            options.weights_init = Eigen::VectorXd::Constant(k, 1.0 / k);
            options.precisions_init = emclust::RowMatrixXd(k, d * d);
            for (emclust::Index c = 0; c < k; ++c) {
                emclust::as_square(options.precisions_init, c, d).setIdentity();
            }
        }
        const emclust::GaussianMixtureFit fit =
            emclust::fit_gaussian_mixture<double>(X, Eigen::VectorXd(), options);

        const emclust::GaussianMixtureParams& p = fit.params;
        std::cout << std::setprecision(17);
        std::cout << "n_samples " << X.rows() << "\nn_features " << d << '\n';
        std::cout << "converged " << fit.trace.converged << "\nn_iter "
                  << fit.trace.n_iter << "\nlower_bound " << fit.trace.lower_bound
                  << '\n';
        for (emclust::Index c = 0; c < k; ++c) {
            print_row("weight", c, &p.weights[c], 1);
            print_row("mean", c, p.means.row(c).data(), d);
            print_row("covariance", c, p.covariances.row(c).data(), d * d);
        }
    } catch (const std::invalid_argument& e) {  // emclust::InvalidArgument
        std::cerr << "invalid argument: " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {  // NumericalError, I/O errors
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
